import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from oms.core.statuses import OrderStatus, PackageStatus, ShipmentStatus
from oms.omnitron.models import OmnitronReport
from oms.orders.models import Order, OrderItem
from oms.packages.models import Package, PackageItem
from oms.shipments.models import CargoCompanyCondition, Shipment
from oms.transitions.models import StateTransition, StateTransitionLog

SEED_BODY = {"slug": "CHANNEL_BASED_COMPLETE_PACKAGING", "input_parameters": {}}


def command_url(package_id: int) -> str:
    return f"/api/v1/oms/packages/{package_id}/command/"


def assert_nothing_changed(package_id: int, status: int = PackageStatus.WAITING) -> None:
    package = Package.objects.get(pk=package_id)
    assert package.status == status
    assert not Shipment.objects.filter(package=package).exists()
    assert not OmnitronReport.objects.exists()
    assert set(PackageItem.objects.filter(package=package).values_list("status", flat=True)) == {status}
    assert set(OrderItem.objects.filter(order=package.order).values_list("status", flat=True)) == {
        OrderStatus.APPROVED
    }
    assert not StateTransitionLog.objects.filter(package=package, new_state=PackageStatus.PACKED).exists()


def test_the_seed_command_packs_the_package(api, marketplace, ingest, staff_user):
    order = ingest(pk=2001, items=2, tracking_number="TRK-2001")
    package_id = order["packages"][0]["id"]

    response = api.post(command_url(package_id), SEED_BODY, format="json")

    assert response.status_code == 204, response.content
    package = api.get(f"/api/v1/oms/packages/{package_id}/").json()
    assert package["status"] == "packed" and package["status_code"] == 500
    assert [item["status_code"] for item in package["items"]] == [500, 500]
    shipment = package["shipment"]
    assert shipment["tracking_number"] == "TRK-2001"
    assert shipment["status"] == "created" and shipment["status_code"] == ShipmentStatus.CREATED
    assert shipment["client"] == "oms.shipments.clients.omnitron_shipment_client.OmnitronShipmentClient"
    assert shipment["cargo_company"] == marketplace["cargo_company"].pk
    assert set(OrderItem.objects.values_list("status", flat=True)) == {OrderStatus.PREPARING}
    assert Order.objects.get().status == OrderStatus.PREPARING
    report = OmnitronReport.objects.get()
    assert report.state == "pending" and report.package_id == package_id
    assert report.payload == {
        "orderitem_set": [{"id": 200101, "status": "450"}, {"id": 200102, "status": "450"}],
        "order_ids": [2001],
    }
    log = StateTransitionLog.objects.get(package_id=package_id)
    assert (log.old_state, log.new_state, log.command) == (100, 500, "CHANNEL_BASED_COMPLETE_PACKAGING")
    assert log.actor == staff_user


@pytest.mark.parametrize("source", ["preparing", "ready_to_pack"])
def test_packaging_runs_from_preparing_and_ready_to_pack(api, marketplace, ingest, source):
    package_id = ingest(pk=2002)["packages"][0]["id"]
    assert api.post(command_url(package_id), {"slug": "PREPARE_PACKAGE"}, format="json").status_code == 204
    if source == "ready_to_pack":
        assert api.post(command_url(package_id), {"slug": "READY_TO_PACK"}, format="json").status_code == 204
    assert Package.objects.get(pk=package_id).status == getattr(PackageStatus, source.upper())

    response = api.post(command_url(package_id), SEED_BODY, format="json")

    assert response.status_code == 204
    assert Package.objects.get(pk=package_id).status == PackageStatus.PACKED


@pytest.mark.parametrize("missing", ["waiting", "preparing", "ready_to_pack"])
def test_a_source_status_without_its_transition_is_refused(api, marketplace, ingest, missing):
    package_id = ingest(pk=2003)["packages"][0]["id"]
    if missing != "waiting":
        api.post(command_url(package_id), {"slug": "PREPARE_PACKAGE"}, format="json")
    if missing == "ready_to_pack":
        api.post(command_url(package_id), {"slug": "READY_TO_PACK"}, format="json")
    status = getattr(PackageStatus, missing.upper())
    StateTransition.objects.filter(slug="CHANNEL_BASED_COMPLETE_PACKAGING", source_state=status).delete()

    response = api.post(command_url(package_id), SEED_BODY, format="json")

    assert response.status_code == 400
    message = response.json()["error"]["slug"][0]
    assert f"'{missing}'" in message and "Commands allowed from" in message
    assert_nothing_changed(package_id, status)


def test_an_unknown_slug_is_refused_listing_the_allowed_commands(api, marketplace, ingest):
    package_id = ingest(pk=2004)["packages"][0]["id"]

    response = api.post(command_url(package_id), {"slug": "SHIP_IT_NOW"}, format="json")

    assert response.status_code == 400
    message = response.json()["error"]["slug"][0]
    assert "SHIP_IT_NOW" in message and "CHANNEL_BASED_COMPLETE_PACKAGING" in message
    assert_nothing_changed(package_id)


def test_no_matching_condition_is_refused_saying_how_to_add_one(api, marketplace, ingest):
    package_id = ingest(pk=2005)["packages"][0]["id"]
    CargoCompanyCondition.objects.all().delete()

    response = api.post(command_url(package_id), SEED_BODY, format="json")

    assert response.status_code == 400
    message = response.json()["error"]["non_field_errors"][0]
    assert "Yurtici Kargo" in message and "Trendyol" in message and "cargo-company-conditions" in message
    assert_nothing_changed(package_id)


def test_a_condition_for_another_channel_does_not_match(api, marketplace, ingest):
    package_id = ingest(pk=2006)["packages"][0]["id"]
    condition = CargoCompanyCondition.objects.get()
    condition.rules_configuration["rules"][0]["params"]["channels"] = [marketplace["channel"].pk + 1000]
    condition.save()

    response = api.post(command_url(package_id), SEED_BODY, format="json")

    assert response.status_code == 400
    assert_nothing_changed(package_id)


def test_an_empty_channel_list_matches_on_the_channel_type(api, marketplace, ingest):
    package_id = ingest(pk=2007)["packages"][0]["id"]
    condition = CargoCompanyCondition.objects.get()
    condition.rules_configuration["rules"][0]["params"]["channels"] = []
    condition.save()

    response = api.post(command_url(package_id), SEED_BODY, format="json")

    assert response.status_code == 204
    assert Package.objects.get(pk=package_id).status == PackageStatus.PACKED


def test_a_package_already_packed_is_refused(api, marketplace, ingest):
    package_id = ingest(pk=2008)["packages"][0]["id"]
    assert api.post(command_url(package_id), SEED_BODY, format="json").status_code == 204

    response = api.post(command_url(package_id), SEED_BODY, format="json")

    assert response.status_code == 400
    assert "'packed'" in response.json()["error"]["slug"][0]
    assert Shipment.objects.count() == 1 and OmnitronReport.objects.count() == 1


def test_an_unknown_package_is_404(api, marketplace):
    response = api.post(command_url(999999), SEED_BODY, format="json")

    assert response.status_code == 404
    assert response.json()["status_code"] == 404


def test_scanned_barcodes_must_cover_every_item(api, marketplace, ingest):
    package_id = ingest(pk=2009, items=2)["packages"][0]["id"]
    body = {
        "slug": "CHANNEL_BASED_COMPLETE_PACKAGING",
        "input_parameters": {"barcodes": ["8690000000001", "X-1"]},
    }

    response = api.post(command_url(package_id), body, format="json")

    assert response.status_code == 400
    message = response.json()["error"]["barcodes"][0]
    assert "8690000000002" in message and "X-1" in message
    assert_nothing_changed(package_id)


def test_all_barcodes_scanned_packs(api, marketplace, ingest):
    package_id = ingest(pk=2010, items=2)["packages"][0]["id"]
    body = {
        "slug": "CHANNEL_BASED_COMPLETE_PACKAGING",
        "input_parameters": {"barcodes": ["8690000000002", "8690000000001"]},
    }

    response = api.post(command_url(package_id), body, format="json")

    assert response.status_code == 204
    assert StateTransitionLog.objects.get(package_id=package_id).input_parameters == body["input_parameters"]


def test_unknown_input_parameters_are_refused(api, marketplace, ingest):
    package_id = ingest(pk=2011)["packages"][0]["id"]
    body = {"slug": "CHANNEL_BASED_COMPLETE_PACKAGING", "input_parameters": {"barcode": "1"}}

    response = api.post(command_url(package_id), body, format="json")

    assert response.status_code == 400
    assert "barcode" in response.json()["error"]["input_parameters"][0]
    assert_nothing_changed(package_id)


def test_the_package_lists_the_commands_runnable_now(api, marketplace, ingest):
    package_id = ingest(pk=2012)["packages"][0]["id"]

    before = api.get(f"/api/v1/oms/packages/{package_id}/").json()["commands"]
    api.post(command_url(package_id), SEED_BODY, format="json")
    after = api.get(f"/api/v1/oms/packages/{package_id}/").json()["commands"]

    assert before == ["CANCEL_PACKAGE", "CHANNEL_BASED_COMPLETE_PACKAGING", "PREPARE_PACKAGE"]
    assert after == ["CANCEL_PACKED_PACKAGE", "REPACK_PACKAGE"]


def test_a_transition_id_runs_like_its_slug(api, marketplace, ingest):
    package_id = ingest(pk=2013)["packages"][0]["id"]
    transition = StateTransition.objects.get(slug="CHANNEL_BASED_COMPLETE_PACKAGING", source_state=100)

    response = api.post(
        command_url(package_id), {"transition": transition.pk, "input_parameters": {}}, format="json"
    )

    assert response.status_code == 204
    assert Package.objects.get(pk=package_id).status == PackageStatus.PACKED


def test_the_same_idempotency_key_returns_the_first_answer(api, marketplace, ingest):
    package_id = ingest(pk=2014)["packages"][0]["id"]

    first = api.post(command_url(package_id), SEED_BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = api.post(command_url(package_id), SEED_BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    other = api.post(
        command_url(package_id), {"slug": "PREPARE_PACKAGE"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )

    assert (first.status_code, again.status_code, other.status_code) == (204, 204, 409)
    assert Shipment.objects.count() == 1 and OmnitronReport.objects.count() == 1


def test_packaging_runs_the_same_number_of_queries_for_1_and_100_items(api, marketplace, ingest):
    counts = []
    for pk, items in [(2101, 1), (2102, 100)]:
        package_id = ingest(pk=pk, items=items)["packages"][0]["id"]
        with CaptureQueriesContext(connection) as queries:
            response = api.post(command_url(package_id), SEED_BODY, format="json")
        assert response.status_code == 204
        counts.append(len(queries))

    assert counts[0] == counts[1], counts
    assert counts[0] <= 20, counts


def test_a_refused_command_is_recorded_for_the_timeline(api, marketplace, ingest, staff_user):
    from oms.transitions.models import RefusedCommand

    package_id = ingest(pk=2015)["packages"][0]["id"]

    api.post(command_url(package_id), {"slug": "SHIP_IT_NOW", "input_parameters": {"x": 1}}, format="json")

    refusal = RefusedCommand.objects.get(package_id=package_id)
    assert (refusal.slug, refusal.actor, refusal.package_state) == ("SHIP_IT_NOW", staff_user, 100)
    assert refusal.input_parameters == {"x": 1}
    assert "Unknown command 'SHIP_IT_NOW'" in refusal.reason


def _other_commands_run_while_preparing(monkeypatch, package_id: int, *statuses: int) -> None:
    """Between the engine's unlocked read and its lock, other commands move the package: the n-th
    time the command is prepared, the package is then set to the n-th of `statuses`."""
    from oms.packages.commands import ChannelBasedCompletePackagingCommand

    prepare = ChannelBasedCompletePackagingCommand.prepare
    moves = iter(statuses)

    def prepare_then_race(self, *, package, params):
        prepared = prepare(self, package=package, params=params)
        status = next(moves, None)
        if status is not None:
            Package.objects.filter(pk=package_id).update(status=status)
        return prepared

    monkeypatch.setattr(ChannelBasedCompletePackagingCommand, "prepare", prepare_then_race)


def test_a_package_packed_meanwhile_is_refused_after_the_lock_and_nothing_is_written_twice(
    api, marketplace, ingest, monkeypatch
):
    package_id = ingest(pk=2050)["packages"][0]["id"]
    _other_commands_run_while_preparing(monkeypatch, package_id, PackageStatus.PACKED)

    response = api.post(command_url(package_id), SEED_BODY, format="json")

    # Planned from 'waiting', found 'packed' under the lock: planned again from 'packed', refused.
    assert response.status_code == 400, response.content
    assert "packed" in response.json()["error"]["slug"][0]
    assert not Shipment.objects.filter(package_id=package_id).exists()
    assert not OmnitronReport.objects.exists()
    assert not StateTransitionLog.objects.filter(package_id=package_id).exists()


def test_a_package_moved_on_meanwhile_is_planned_again_from_its_new_status(
    api, marketplace, ingest, monkeypatch
):
    package_id = ingest(pk=2051)["packages"][0]["id"]
    _other_commands_run_while_preparing(monkeypatch, package_id, PackageStatus.PREPARING)

    response = api.post(command_url(package_id), SEED_BODY, format="json")

    assert response.status_code == 204, response.content
    log = StateTransitionLog.objects.get(package_id=package_id)
    assert (log.old_state, log.new_state) == (PackageStatus.PREPARING, PackageStatus.PACKED)
    assert Shipment.objects.filter(package_id=package_id).count() == 1
    assert OmnitronReport.objects.count() == 1


def test_a_package_that_keeps_changing_is_answered_409_without_writing(api, marketplace, ingest, monkeypatch):
    package_id = ingest(pk=2052)["packages"][0]["id"]
    _other_commands_run_while_preparing(
        monkeypatch, package_id, PackageStatus.PREPARING, PackageStatus.READY_TO_PACK, PackageStatus.PREPARING
    )

    response = api.post(command_url(package_id), SEED_BODY, format="json")

    assert response.status_code == 409, response.content
    assert "send the command again" in response.json()["error"]["slug"][0]
    assert not Shipment.objects.filter(package_id=package_id).exists()
    assert not OmnitronReport.objects.exists()
    assert Package.objects.get(pk=package_id).status == PackageStatus.PREPARING
