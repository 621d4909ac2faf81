"""(b) an order pushed again, (c) the reconciliation pull, (d) shipment status resolution: each
way Omnitron says items are cancelled or refunded ends in the same outcome as a plan."""

from datetime import timedelta

from django.utils import timezone

from oms.core.statuses import OrderStatus, PackageStatus
from oms.omnitron.client import omnitron_client_get
from oms.orders.cancellation_models import CancellationPlan
from oms.orders.models import OrderItem
from oms.orders.reconciliation import orders_reconcile
from oms.packages.models import Package, PackageItem
from oms.shipments.models import Shipment, ShipmentObservation
from tests.flow.cancel_helpers import (
    INGEST,
    deliver_reports,
    pack,
    package,
    reported_item_ids,
    resolve,
    sandbox_cancel,
)


def reconcile():
    return orders_reconcile(client_factory=omnitron_client_get, now=timezone.now() + timedelta(seconds=5))


def first_item(order: dict) -> int:
    return order["orderitem_set"][0]["pk"]


# (b) pushes


def test_b_an_order_pushed_again_cancelled_cancels_its_unpacked_package(api, omnitron, placed):
    order, package_id = placed(items=2)
    cancelled = sandbox_cancel(omnitron, order["pk"])

    response = api.post(
        INGEST, {k: v for k, v in cancelled.items() if k not in ("plan", "plan_sent")}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "cancelled"
    assert package(package_id).status == PackageStatus.CANCELLED
    assert CancellationPlan.objects.get().source == "push"
    assert pack(api, package_id).status_code == 400
    again = api.post(INGEST, {"pk": order["pk"]}, format="json")  # the same news again: nothing more
    assert again.status_code == 200 and CancellationPlan.objects.count() == 1


def test_b_a_push_with_one_cancelled_item_takes_it_out(api, omnitron, placed):
    order, package_id = placed(items=2)
    sandbox_cancel(omnitron, order["pk"], items=[first_item(order)])

    api.post(INGEST, {"pk": order["pk"]}, format="json")

    remaining = PackageItem.objects.filter(package_id=package_id)
    assert first_item(order) not in remaining.values_list("order_item__omnitron_id", flat=True)
    assert remaining.count() == 1 and package(package_id).status == PackageStatus.WAITING


def test_b_a_push_after_packing_asks_for_the_parcel_back(api, omnitron, placed):
    order, package_id = placed(items=2)
    assert pack(api, package_id).status_code == 204
    sandbox_cancel(omnitron, order["pk"], items=[first_item(order)])

    api.post(INGEST, {"pk": order["pk"]}, format="json")

    assert package(package_id).cancellation_requested_at is not None
    assert package(package_id).status == PackageStatus.PACKED


def test_b_a_new_order_arriving_with_a_cancelled_item_is_planned_without_it(api, omnitron, marketplace):
    order = omnitron.create_order(channel=42, cargo_company=7, tracking_number="T", item_count=2)
    sandbox_cancel(omnitron, order["pk"], items=[first_item(order)])

    response = api.post(INGEST, {"pk": order["pk"]}, format="json")

    assert response.status_code == 201, response.json()
    waiting = Package.objects.get(status=PackageStatus.WAITING)
    assert waiting.items.count() == 1
    assert Package.objects.filter(status=PackageStatus.CANCELLED).count() == 1


# (c) reconciliation


def test_c_reconciliation_applies_orders_cancelled_since_its_watermark(api, omnitron, placed):
    order, package_id = placed(items=2)
    sandbox_cancel(omnitron, order["pk"])

    result = reconcile()

    assert result.cancelled == [order["pk"]] and not result.error
    assert package(package_id).status == PackageStatus.CANCELLED
    assert CancellationPlan.objects.get().source == "reconciliation"


def test_c_reconciliation_applies_a_partial_cancellation_of_an_order_it_lists(api, omnitron, placed):
    order, package_id = placed(items=2)
    sandbox_cancel(omnitron, order["pk"], items=[first_item(order)])  # the order stays approved (400)

    result = reconcile()

    assert result.cancelled == [order["pk"]]
    assert PackageItem.objects.filter(package_id=package_id).count() == 1


def test_c_reconciliation_after_packing_asks_for_the_parcel_back(api, omnitron, placed):
    order, package_id = placed(items=1)
    assert pack(api, package_id).status_code == 204
    sandbox_cancel(omnitron, order["pk"], status="50")  # cancellation waiting counts as cancelled

    reconcile()

    assert package(package_id).cancellation_requested_at is not None
    assert OrderItem.objects.get().status == OrderStatus.CANCELLED


# (d) resolution


def test_d_resolution_reading_100_asks_for_the_parcel_back_then_shipped_after_cancellation(
    api, omnitron, placed
):
    order, package_id = placed(items=2)
    assert pack(api, package_id).status_code == 204
    deliver_reports()
    sandbox_cancel(omnitron, order["pk"])

    result = resolve()

    assert result.unknown == 0 and not ShipmentObservation.objects.filter(outcome="unknown").exists()
    assert package(package_id).cancellation_requested_at is not None
    assert CancellationPlan.objects.get().source == "resolution"
    omnitron.set_status(order["pk"], "500")  # the marketplace's carrier took it anyway
    resolve()
    shown = api.get(f"/api/v1/oms/packages/{package_id}/").json()
    assert (shown["status"], shown["shipped_after_cancellation"]) == ("shipped", True)
    # The cancelled items (100, a lower code than shipped's 500) stay cancelled: forward by rank.
    items = OrderItem.objects.filter(order__omnitron_id=order["pk"]).values_list("status", flat=True)
    assert set(items) == {OrderStatus.CANCELLED}
    assert CancellationPlan.objects.count() == 1


def test_d_resolution_reading_one_cancelled_item_marks_only_it(api, omnitron, placed):
    order, package_id = placed(items=2)
    omnitron.set_faults(fail_next=1000)
    assert pack(api, package_id).status_code == 204
    omnitron.clear_faults()
    first, second = (item["pk"] for item in order["orderitem_set"])
    sandbox_cancel(omnitron, order["pk"], items=[first])

    resolve()
    deliver_reports()

    statuses = dict(PackageItem.objects.values_list("order_item__omnitron_id", "status"))
    assert statuses == {first: PackageStatus.CANCELLED, second: PackageStatus.PACKED}
    assert reported_item_ids(omnitron) == [second]


def test_d_a_refund_of_a_delivered_shipment_is_seen_in_its_return_window(api, omnitron, placed):
    order, package_id = placed(items=2)
    assert pack(api, package_id).status_code == 204
    omnitron.set_status(order["pk"], "550")
    resolve()
    shipment = Shipment.objects.get()
    assert shipment.return_window_until is not None and shipment.next_check_at is not None
    sandbox_cancel(omnitron, order["pk"], items=[first_item(order)], plan_type="refund")

    resolve()

    assert package(package_id).refund_requested_at is not None
    assert OrderItem.objects.get(omnitron_id=first_item(order)).status == OrderStatus.REFUNDED
    assert CancellationPlan.objects.get().plan_type == "refund"


def test_d_a_delivered_shipment_leaves_the_schedule_when_its_return_window_closes(api, omnitron, placed):
    order, package_id = placed(items=1)
    assert pack(api, package_id).status_code == 204
    omnitron.set_status(order["pk"], "550")
    resolve()
    assert resolve().checked == 1  # still followed, lightly
    Shipment.objects.update(return_window_until=timezone.now() - timedelta(seconds=1))

    resolve()

    assert Shipment.objects.get().next_check_at is None
    assert resolve().checked == 0
