"""Statuses only move forward: a property of shipment status resolution (`oms.shipments.resolution`).

For any sequence of Omnitron order statuses (drawn from every `OrderStatus` code), each set on the
order in the Omnitron sandbox before one real `shipments_resolve` cycle (HTTP, `id__in` read, the
conditional updates), one packed shipment and its package:

- never move backwards, after any cycle (shipment, package, package items, order items, order);
- end at the highest mapped status seen (500 -> shipped, 540 -> attempted delivery,
  550 -> delivered), or stay created/packed when no mapped status was seen;
- are final once delivered: nothing seen afterwards changes anything;
- leave a transition log where every entry moves forward (new_state > old_state), one entry per
  status actually applied, and observations marked `applied` in increasing order.

There is no pure rule function to test apart from the I/O (the rule is the `status < new`
conditional UPDATE), so each example is real I/O: max_examples is kept at 25.
"""

import itertools

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oms.configuration.services import application_setting_set
from oms.core.statuses import OrderStatus, PackageStatus, ShipmentStatus
from oms.omnitron.client import omnitron_client_get
from oms.orders.models import Order, OrderItem
from oms.packages.models import Package, PackageItem
from oms.shipments.models import ObservationOutcome, Shipment, ShipmentObservation
from oms.shipments.resolution import STATUS_MAP, shipments_resolve
from oms.transitions.models import StateTransitionLog
from tests.scaffolding import example_atomic
from tests.security.rows import every_row

STATUSES = [member.value for member in OrderStatus]
# Every code, with the three mapped ones drawn more often so most examples move the shipment.
A_STATUS = st.one_of(st.sampled_from(STATUSES), st.sampled_from(sorted(STATUS_MAP)))


def _state(shipment_id: int) -> dict:
    shipment = Shipment.objects.get(pk=shipment_id)
    package = Package.objects.get(pk=shipment.package_id)
    return {
        "shipment": shipment.status,
        "package": package.status,
        "package_items": set(PackageItem.objects.filter(package=package).values_list("status", flat=True)),
        "order_items": set(
            OrderItem.objects.filter(order_id=package.order_id).values_list("status", flat=True)
        ),
        "order": Order.objects.get(pk=package.order_id).status,
    }


def _not_behind(after: dict, before: dict) -> bool:
    return (
        after["shipment"] >= before["shipment"]
        and after["package"] >= before["package"]
        and min(after["package_items"]) >= max(before["package_items"])
        and min(after["order_items"]) >= max(before["order_items"])
        and after["order"] >= before["order"]
    )


@pytest.fixture
def followed(db, omnitron_sandbox_settings):
    """The rows, and a function making one packed shipment whose order exists in the sandbox."""
    rows = every_row()
    application_setting_set(key="AUTO_RUN_SHIP_THE_PACKAGE_COMMAND", value=True)
    sandbox = omnitron_sandbox_settings

    def make() -> tuple[int, int]:
        order = sandbox.create_order(
            channel=42, cargo_company=7, tracking_number=rows.shipment.tracking_number, item_count=2
        )
        Order.objects.filter(pk=rows.order.pk).update(omnitron_id=order["pk"])
        return order["pk"], rows.shipment.pk

    return sandbox, make


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=st.lists(A_STATUS, min_size=1, max_size=6))
def test_resolution_never_moves_a_shipment_backwards(followed, sequence):
    sandbox, make = followed
    with example_atomic():  # each example starts from the same packed shipment
        omnitron_pk, shipment_id = make()
        start = _state(shipment_id)
        assert (start["shipment"], start["package"]) == (ShipmentStatus.CREATED, PackageStatus.PACKED)
        history = [start]

        for status in sequence:
            sandbox.set_status(omnitron_pk, str(status))
            result = shipments_resolve(
                client_factory=omnitron_client_get, now_fn=timezone.now, due_only=False
            )
            assert result.errors == [] and result.failed_batches == 0, result.summary()
            history.append(_state(shipment_id))

        for before, after in itertools.pairwise(history):
            assert _not_behind(after, before), (sequence, before, after)

        mapped = [STATUS_MAP[s] for s in sequence if s in STATUS_MAP]
        end = history[-1]
        if mapped:
            shipment_status, package_status, item_status = max(mapped)
            assert end["shipment"] == shipment_status
            assert end["package"] == package_status
            assert end["package_items"] == {package_status}
            assert end["order_items"] == {item_status}
            assert end["order"] == item_status
        else:
            assert (end["shipment"], end["package"]) == (ShipmentStatus.CREATED, PackageStatus.PACKED)

        if OrderStatus.DELIVERED in sequence:
            first = sequence.index(OrderStatus.DELIVERED)
            delivered_at = history[first + 1]
            assert delivered_at["shipment"] == ShipmentStatus.DELIVERED
            assert all(state == delivered_at for state in history[first + 1 :])

        logs = list(
            StateTransitionLog.objects.filter(
                package__shipment__pk=shipment_id, command="SHIPMENT_STATUS_RESOLUTION"
            )
            .order_by("id")
            .values_list("old_state", "new_state")
        )
        assert all(new > old for old, new in logs), logs
        applied = list(
            ShipmentObservation.objects.filter(shipment_id=shipment_id, outcome=ObservationOutcome.APPLIED)
            .order_by("id")
            .values_list("omnitron_status", flat=True)
        )
        assert applied == sorted(set(applied))
        assert len(logs) == len(applied)
        transaction.set_rollback(True)
