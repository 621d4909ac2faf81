"""End to end: the sandbox, a real server, pushes orders to OMS (a live server); a lost push is
recovered by the reconciliation pull."""

import pytest
from django.utils import timezone

from oms.omnitron.client import omnitron_client_get
from oms.orders.models import Order
from oms.orders.reconciliation import orders_reconcile
from oms.packages.models import Package
from tests.tokens import token_for


def packages_per_order() -> dict[int, int]:
    return {order.omnitron_id: order.packages.count() for order in Order.objects.all()}


@pytest.mark.django_db(transaction=True)
def test_pushed_orders_arrive_and_the_reconciliation_pull_brings_the_ones_whose_push_was_lost(
    live_server, staff_user, omnitron_sandbox_settings
):
    sandbox = omnitron_sandbox_settings
    token = token_for(staff_user)
    sandbox.configure_push(f"{live_server.url}/api/v1/oms/omnitron/orders/", token)

    pushed = [sandbox.create_order(channel=42, cargo_company=7, item_count=2)["pk"] for _ in range(5)]
    assert sandbox.push_wait(30)

    status = sandbox.push_status()
    assert (status["sent"], status["failed"], status["last_error"]) == (5, 0, "")
    assert [delivery["status"] for delivery in status["deliveries"]] == [201] * 5
    assert packages_per_order() == dict.fromkeys(pushed, 1)

    sandbox.configure_push(enabled=False)
    lost = [sandbox.create_order(channel=42, cargo_company=7, item_count=1)["pk"] for _ in range(3)]
    assert sandbox.push_wait(5)
    assert sandbox.push_status()["skipped"] == 3
    assert set(Order.objects.values_list("omnitron_id", flat=True)) == set(pushed)

    result = orders_reconcile(client_factory=omnitron_client_get, now=timezone.now())

    assert sorted(result.ingested) == sorted(lost), result.summary()
    assert (result.seen, result.failed, result.error) == (8, {}, "")
    assert packages_per_order() == dict.fromkeys(pushed + lost, 1)
    assert Package.objects.count() == 8
    lost_items = Order.objects.filter(omnitron_id__in=lost).values_list("items__omnitron_id", flat=True)
    in_omnitron = [item["pk"] for pk in lost for item in sandbox.order(pk)["orderitem_set"]]
    assert sorted(lost_items) == sorted(in_omnitron)
