"""(a) Cancellation plans at POST /api/v1/oms/cancellation_plan/, against the Omnitron sandbox."""

from oms.core.statuses import OrderStatus, PackageStatus, ShipmentStatus
from oms.omnitron.models import OmnitronReport
from oms.orders.cancellation_models import CancellationPlan
from oms.orders.models import Order, OrderItem
from oms.packages.models import Package, PackageItem
from oms.shipments.models import Shipment
from tests.flow.cancel_helpers import (
    PLAN,
    deliver_reports,
    pack,
    package,
    reported_item_ids,
    resolve,
    run,
    sandbox_cancel,
)


def items_of(order: dict) -> list[int]:
    return [item["pk"] for item in order["orderitem_set"]]


def test_a_full_cancel_before_packing_cancels_the_package_and_packing_is_refused(api, omnitron, placed):
    order, package_id = placed(items=2)
    plan = sandbox_cancel(omnitron, order["pk"])["plan"]

    response = api.post(PLAN, plan, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["outcome"]["packages"][f"PKG-{order['pk']}-1"]["action"] == "cancelled"
    assert package(package_id).status == PackageStatus.CANCELLED
    assert set(PackageItem.objects.values_list("status", flat=True)) == {PackageStatus.CANCELLED}
    assert set(OrderItem.objects.values_list("status", flat=True)) == {OrderStatus.CANCELLED}
    assert Order.objects.get().status == OrderStatus.CANCELLED
    refused = pack(api, package_id)
    assert refused.status_code == 400 and "cancelled" in str(refused.json())
    assert not Shipment.objects.exists() and not OmnitronReport.objects.exists()

    again = api.post(PLAN, plan, format="json")
    assert again.status_code == 200 and again.json() == body
    assert CancellationPlan.objects.count() == 1


def test_a_partial_cancel_before_packing_takes_the_items_out_and_the_rest_is_packed(api, omnitron, placed):
    order, package_id = placed(items=3)
    first, *rest = items_of(order)
    plan = sandbox_cancel(omnitron, order["pk"], items=[first])["plan"]

    response = api.post(PLAN, plan, format="json")

    assert response.status_code == 201, response.json()
    assert package(package_id).status == PackageStatus.WAITING
    kept = PackageItem.objects.filter(package_id=package_id)
    assert sorted(kept.values_list("order_item__omnitron_id", flat=True)) == rest
    split = Package.objects.exclude(pk=package_id).get()
    assert split.status == PackageStatus.CANCELLED
    assert list(split.items.values_list("order_item__omnitron_id", "status")) == [
        (first, PackageStatus.CANCELLED)
    ]

    assert pack(api, package_id).status_code == 204
    deliver_reports()
    assert sorted(reported_item_ids(omnitron)) == rest
    assert omnitron.order(order["pk"])["orderitem_set"][0]["status"] == "100"


def test_a_full_cancel_after_packing_asks_for_the_parcel_back_and_the_report_is_never_sent(
    api, omnitron, placed
):
    order, package_id = placed(items=2)
    omnitron.set_faults(fail_next=1000)  # Omnitron down: the preparing report waits in the outbox
    assert pack(api, package_id).status_code == 204
    omnitron.clear_faults()
    plan = sandbox_cancel(omnitron, order["pk"])["plan"]

    response = api.post(PLAN, plan, format="json")

    assert (
        response.json()["outcome"]["packages"][f"PKG-{order['pk']}-1"]["action"] == "cancellation_requested"
    )
    shown = api.get(f"/api/v1/oms/packages/{package_id}/").json()
    assert shown["status"] == "packed" and shown["cancellation_requested_at"] is not None
    assert shown["shipped_after_cancellation"] is False
    assert OmnitronReport.objects.get().state == "superseded"
    deliver_reports()
    assert reported_item_ids(omnitron) == []

    assert run(api, package_id, "CANCEL_PACKED_PACKAGE").status_code == 204
    assert package(package_id).status == PackageStatus.CANCELLED
    assert Shipment.objects.get().status == ShipmentStatus.CANCELLED
    omnitron.set_status(order["pk"], "500")
    assert resolve().checked == 0  # no longer followed


def test_a_partial_cancel_after_packing_marks_only_its_items(api, omnitron, placed):
    order, package_id = placed(items=2)
    omnitron.set_faults(fail_next=1000)
    assert pack(api, package_id).status_code == 204
    omnitron.clear_faults()
    first, second = items_of(order)

    api.post(PLAN, sandbox_cancel(omnitron, order["pk"], items=[first])["plan"], format="json")

    assert package(package_id).cancellation_requested_at is not None
    statuses = dict(PackageItem.objects.values_list("order_item__omnitron_id", "status"))
    assert statuses == {first: PackageStatus.CANCELLED, second: PackageStatus.PACKED}
    deliver_reports()
    assert reported_item_ids(omnitron) == [second]
    refused = run(api, package_id, "CANCEL_PACKED_PACKAGE")
    assert refused.status_code == 400 and str(second) in str(refused.json())


def test_a_parcel_partly_cancelled_after_packing_is_repacked_and_ships_with_the_rest(api, omnitron, placed):
    order, package_id = placed(items=3)
    assert pack(api, package_id).status_code == 204
    first, *rest = items_of(order)
    api.post(PLAN, sandbox_cancel(omnitron, order["pk"], items=[first])["plan"], format="json")

    assert run(api, package_id, "REPACK_PACKAGE").status_code == 204

    shown = api.get(f"/api/v1/oms/packages/{package_id}/").json()
    assert shown["status"] == "packed" and shown["cancellation_requested_at"] is None
    kept = PackageItem.objects.filter(package_id=package_id)
    assert sorted(kept.values_list("order_item__omnitron_id", flat=True)) == rest
    taken_out = Package.objects.exclude(pk=package_id).get()
    assert taken_out.status == PackageStatus.CANCELLED
    assert list(taken_out.items.values_list("order_item__omnitron_id", "status")) == [
        (first, PackageStatus.CANCELLED)
    ]
    # The parcel goes on: its shipment is still followed and moves with Omnitron.
    omnitron.set_status(order["pk"], "500")
    assert resolve().checked == 1
    assert package(package_id).status == PackageStatus.SHIPPED
    assert Shipment.objects.get().status == ShipmentStatus.SHIPPED


def test_repacking_is_refused_without_a_cancellation_or_when_every_item_is_cancelled(api, omnitron, placed):
    order, package_id = placed(items=2)
    assert pack(api, package_id).status_code == 204

    refused = run(api, package_id, "REPACK_PACKAGE")
    assert refused.status_code == 400 and "no cancellation request" in str(refused.json())

    api.post(PLAN, sandbox_cancel(omnitron, order["pk"])["plan"], format="json")
    refused = run(api, package_id, "REPACK_PACKAGE")
    assert refused.status_code == 400 and "CANCEL_PACKED_PACKAGE" in str(refused.json())
    assert package(package_id).cancellation_requested_at is not None
    assert Package.objects.count() == 1


def test_cancel_plan_for_a_delivered_package_is_refused_and_a_refund_is_taken(api, omnitron, placed):
    order, package_id = placed(items=2)
    assert pack(api, package_id).status_code == 204
    omnitron.set_status(order["pk"], "550")
    resolve()
    first, _ = items_of(order)

    cancel = api.post(PLAN, sandbox_cancel(omnitron, order["pk"], items=[first])["plan"], format="json")

    assert cancel.status_code == 400 and "refund" in cancel.json()["error"]["plan_type"][0]
    assert not CancellationPlan.objects.exists()
    assert OrderItem.objects.get(omnitron_id=first).status == OrderStatus.DELIVERED

    refund = sandbox_cancel(omnitron, order["pk"], items=[first], plan_type="refund")["plan"]
    response = api.post(PLAN, refund, format="json")

    assert response.status_code == 201, response.json()
    assert package(package_id).refund_requested_at is not None
    assert package(package_id).status == PackageStatus.DELIVERED
    assert OrderItem.objects.get(omnitron_id=first).status == OrderStatus.REFUNDED


def test_items_not_in_the_order_are_named_and_nothing_is_written(api, omnitron, placed):
    order, package_id = placed(items=1)

    response = api.post(
        PLAN, {"id": 9, "order": order["pk"], "plan_type": "cancel", "order_items": [1, 2]}, format="json"
    )

    assert response.status_code == 400
    assert "Order items 1, 2 are not items of order" in response.json()["error"]["order_items"][0]
    assert not CancellationPlan.objects.exists() and package(package_id).status == PackageStatus.WAITING


def test_a_plan_for_an_order_oms_lacks_reads_it_from_omnitron_first(api, omnitron, marketplace):
    order = omnitron.create_order(channel=42, cargo_company=7, tracking_number="T", item_count=2)
    first = order["orderitem_set"][0]["pk"]

    response = api.post(
        PLAN, {"id": 10, "order": order["pk"], "plan_type": "cancel", "order_items": [first]}, format="json"
    )

    assert response.status_code == 201, response.json()
    assert Order.objects.get().omnitron_id == order["pk"]
    assert Package.objects.filter(status=PackageStatus.WAITING).count() == 1


def test_a_plan_for_an_order_nobody_has_is_404(api, omnitron, marketplace):
    response = api.post(
        PLAN, {"id": 11, "order": 424242, "plan_type": "cancel", "order_items": [1]}, format="json"
    )

    assert response.status_code == 404
    assert "Neither OMS nor Omnitron has order 424242" in response.json()["error"]["order"][0]


def test_malformed_plans_are_400(api, omnitron, marketplace):
    bad = [
        {},
        {"id": 1, "order": 1, "plan_type": "void", "order_items": [1]},
        {"id": 1, "order": 1, "plan_type": "cancel", "order_items": []},
        {"id": 1, "order": 1, "plan_type": "cancel", "order_items": [1], "extra": 1},
        [],
    ]
    for body in bad:
        response = api.post(PLAN, body, format="json")
        assert response.status_code == 400, (body, response.json())
        assert response.json()["status_code"] == 400


def test_packing_a_package_holding_a_cancelled_item_is_refused(api, omnitron, placed):
    _, package_id = placed(items=2)
    PackageItem.objects.filter(package_id=package_id).update(status=PackageStatus.CANCELLED)

    response = pack(api, package_id)

    assert response.status_code == 400
    assert "items of its order were cancelled in Omnitron" in str(response.json())
    assert not Shipment.objects.exists()
