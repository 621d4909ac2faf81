"""Resolution moves shipments; packages and orders move their own rows through the registry
`oms.shipments.shipment_moves`, in the same transaction and set-wise."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from oms.core.statuses import OrderStatus, PackageStatus, ShipmentStatus
from oms.omnitron.client import omnitron_client_get
from oms.orders.models import Order, OrderItem
from oms.orders.shipment_moves import orders_follow_shipments
from oms.packages.models import Package, PackageItem
from oms.packages.shipment_moves import packages_follow_shipments
from oms.shipments import shipment_moves
from oms.shipments.models import ResolutionHealth, Shipment, ShipmentObservation
from oms.shipments.resolution import shipments_resolve
from oms.transitions.models import StateTransitionLog

SEED_BODY = {"slug": "CHANNEL_BASED_COMPLETE_PACKAGING", "input_parameters": {}}


def resolve():
    return shipments_resolve(client_factory=omnitron_client_get, now_fn=timezone.now, due_only=False)


@pytest.fixture
def packed(api, marketplace, omnitron):
    """Orders created in Omnitron, ingested and packed: [(omnitron pk, shipment)]."""

    def make(count: int) -> list[tuple[int, Shipment]]:
        made = []
        for n in range(count):
            order = omnitron.create_order(
                channel=42, cargo_company=7, tracking_number=f"TRK-M{n}", item_count=2
            )
            package_id = api.post("/api/v1/oms/omnitron/orders/", {"pk": order["pk"]}, format="json").json()[
                "packages"
            ][0]["id"]
            response = api.post(f"/api/v1/oms/packages/{package_id}/command/", SEED_BODY, format="json")
            assert response.status_code == 204
            made.append((order["pk"], Shipment.objects.get(package_id=package_id)))
        return made

    return make


def books(shipment: Shipment) -> tuple[int, int, set[int], set[int], int]:
    shipment.refresh_from_db()
    package = Package.objects.get(pk=shipment.package_id)
    return (
        shipment.status,
        package.status,
        set(PackageItem.objects.filter(package=package).values_list("status", flat=True)),
        set(OrderItem.objects.filter(order_id=package.order_id).values_list("status", flat=True)),
        Order.objects.get(pk=package.order_id).status,
    )


def test_packages_then_orders_follow_moved_shipments():
    assert shipment_moves.moves_listeners() == (packages_follow_shipments, orders_follow_shipments)


def resolve_counting_statements(omnitron, made, statuses):
    for (pk, _), status in zip(made, statuses, strict=True):
        omnitron.set_status(pk, status)
    with CaptureQueriesContext(connection) as queries:
        result = resolve()
    return result, len(queries)


def test_a_chunk_costs_the_same_statements_whatever_its_size(packed, omnitron):
    """Forward moves to two statuses and unchanged shipments: 4 of each kind, then 12 of each."""
    small, large = packed(12), packed(36)
    Shipment.objects.filter(pk__in=[s.pk for _, s in large]).update(stale_at=timezone.now())  # not yet
    kinds = ["500", "550", "450"]
    ResolutionHealth.objects.create(pk=1)  # as after the first cycle, for both

    small_result, small_count = resolve_counting_statements(omnitron, small, kinds * 4)
    Shipment.objects.filter(pk__in=[s.pk for _, s in small]).update(stale_at=timezone.now())
    Shipment.objects.filter(pk__in=[s.pk for _, s in large]).update(stale_at=None)
    large_result, large_count = resolve_counting_statements(omnitron, large, kinds * 12)

    assert (len(small_result.applied), len(large_result.applied)) == (8, 24)
    assert small_count == large_count
    for (_, shipment), status in zip(large, kinds * 12, strict=True):
        expected = {"500": PackageStatus.SHIPPED, "550": PackageStatus.DELIVERED, "450": PackageStatus.PACKED}
        assert books(shipment)[1:3] == (expected[status], {expected[status]})


def test_a_listener_that_fails_sets_back_its_shipment_whole_and_the_others_move(
    packed, omnitron, monkeypatch
):
    made = packed(3)
    refused = made[1][1]

    def refuse_one_package(moves):
        if refused.package_id in moves.package_ids:
            raise ValueError("this package cannot move")

    listeners = [*shipment_moves._moves_listeners, (99, refuse_one_package)]
    monkeypatch.setattr(shipment_moves, "_moves_listeners", listeners)
    for pk, _ in made:
        omnitron.set_status(pk, "500")
    before = timezone.now()

    result = resolve()

    assert len(result.applied) == 2 and result.errors == [f"shipment {refused.pk}: this package cannot move"]
    shipped = (ShipmentStatus.SHIPPED, PackageStatus.SHIPPED, {PackageStatus.SHIPPED}, {500}, 500)
    untouched = (ShipmentStatus.CREATED, PackageStatus.PACKED, {PackageStatus.PACKED}, {450}, 450)
    assert [books(shipment) for _, shipment in made] == [shipped, untouched, shipped]
    assert not ShipmentObservation.objects.filter(shipment=refused).exists()
    assert not StateTransitionLog.objects.filter(
        package_id=refused.package_id, command="SHIPMENT_STATUS_RESOLUTION"
    ).exists()
    assert refused.next_check_at > before and refused.omnitron_status is None


def test_a_reissued_tracking_number_reaches_the_order(packed, omnitron):
    [(pk, shipment)] = packed(1)
    omnitron.set_status(pk, "450", tracking_number="TRK-NEW")

    resolve()

    assert Order.objects.get(omnitron_id=pk).tracking_number == "TRK-NEW"
    assert books(shipment)[0] == ShipmentStatus.CREATED
    assert Order.objects.get(omnitron_id=pk).status == OrderStatus.PREPARING
