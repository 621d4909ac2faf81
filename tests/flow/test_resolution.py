"""Shipment status resolution against the Omnitron sandbox as a real HTTP server."""

from datetime import timedelta

import pytest
from django.utils import timezone

from oms.configuration.services import application_setting_set
from oms.core.statuses import OrderStatus, PackageStatus, ShipmentStatus
from oms.omnitron.client import omnitron_client_get
from oms.orders.models import Order, OrderItem
from oms.packages.models import Package, PackageItem
from oms.shipments.models import ResolutionHealth, Shipment, ShipmentObservation, TrackingNumberChange
from oms.shipments.resolution import shipments_resolve
from oms.transitions.models import StateTransitionLog

SEED_BODY = {"slug": "CHANNEL_BASED_COMPLETE_PACKAGING", "input_parameters": {}}


def resolve(**kwargs):
    return shipments_resolve(
        client_factory=omnitron_client_get, now_fn=timezone.now, due_only=False, **kwargs
    )


@pytest.fixture
def packed(api, marketplace, omnitron):
    """Create an order in Omnitron, ingest it by pk, pack it. Returns (omnitron pk, shipment)."""

    def make(tracking_number: str = "TRK-1", items: int = 2) -> tuple[int, Shipment]:
        order = omnitron.create_order(
            channel=42, cargo_company=7, tracking_number=tracking_number, item_count=items
        )
        response = api.post("/api/v1/oms/omnitron/orders/", {"pk": order["pk"]}, format="json")
        assert response.status_code == 201, response.json()
        package_id = response.json()["packages"][0]["id"]
        assert (
            api.post(f"/api/v1/oms/packages/{package_id}/command/", SEED_BODY, format="json").status_code
            == 204
        )
        return order["pk"], Shipment.objects.get(package_id=package_id)

    return make


def resolve_while_another_run_goes_first():
    """A cycle that, once it has claimed its shipments and while it reads Omnitron, lets a whole
    other cycle run (claiming the same shipments, as `due_only=False` does). Returns (the first
    cycle's result, [the other's result])."""
    inner = []

    class OtherRunFirst:
        def __init__(self):
            self.client = omnitron_client_get()

        def orders_get_many(self, ids):
            if not inner:
                inner.append(resolve())
            return self.client.orders_get_many(ids)

        def close(self):
            self.client.close()

    outer = shipments_resolve(client_factory=OtherRunFirst, now_fn=timezone.now, due_only=False)
    return outer, inner


def state(shipment: Shipment) -> tuple[int, int, set[int], set[int], int]:
    shipment.refresh_from_db()
    package = Package.objects.get(pk=shipment.package_id)
    return (
        shipment.status,
        package.status,
        set(PackageItem.objects.filter(package=package).values_list("status", flat=True)),
        set(OrderItem.objects.filter(order_id=package.order_id).values_list("status", flat=True)),
        Order.objects.get(pk=package.order_id).status,
    )


def test_the_full_walk_packed_shipped_attempted_delivered(packed, omnitron):
    pk, shipment = packed()
    expected = {
        "500": (ShipmentStatus.SHIPPED, PackageStatus.SHIPPED, OrderStatus.SHIPPED),
        "540": (
            ShipmentStatus.ATTEMPTED_DELIVERY,
            PackageStatus.ATTEMPTED_DELIVERY,
            OrderStatus.ATTEMPTED_DELIVERY,
        ),
        "550": (ShipmentStatus.DELIVERED, PackageStatus.DELIVERED, OrderStatus.DELIVERED),
    }

    for omnitron_status, (shipment_status, package_status, order_status) in expected.items():
        omnitron.set_status(pk, omnitron_status)
        result = resolve()
        assert len(result.applied) == 1, result.summary()
        assert state(shipment) == (
            shipment_status,
            package_status,
            {package_status},
            {order_status},
            order_status,
        )

    logs = StateTransitionLog.objects.filter(
        package_id=shipment.package_id, command="SHIPMENT_STATUS_RESOLUTION"
    )
    assert list(logs.order_by("id").values_list("old_state", "new_state")) == [
        (500, 700),
        (700, 720),
        (720, 800),
    ]
    observation_ids = [log.attributes["observation"] for log in logs]
    assert set(
        ShipmentObservation.objects.filter(pk__in=observation_ids).values_list("outcome", flat=True)
    ) == {"applied"}


def test_a_delivered_shipment_leaves_the_schedule(packed, omnitron, settings):
    # With no return window (see tests/flow/test_cancellation_resolution.py for the window).
    settings.OMS_RETURN_WINDOW_DAYS = 0
    pk, _ = packed()
    omnitron.set_status(pk, "550")
    resolve()

    result = resolve()

    assert result.checked == 0


def test_a_direct_jump_from_packed_to_delivered(packed, omnitron):
    pk, shipment = packed()
    omnitron.set_status(pk, "550")

    resolve()

    assert state(shipment)[:2] == (ShipmentStatus.DELIVERED, PackageStatus.DELIVERED)


# 100 (cancelled) is no longer unknown: see tests/flow/test_cancellation_resolution.py.
@pytest.mark.parametrize("omnitron_status", ["510", "520"])
def test_statuses_that_are_not_shipment_statuses_change_nothing_and_are_recorded(
    packed, omnitron, omnitron_status
):
    pk, shipment = packed()
    omnitron.set_status(pk, omnitron_status)

    result = resolve()

    assert result.unknown == 1 and not result.applied
    assert state(shipment)[:2] == (ShipmentStatus.CREATED, PackageStatus.PACKED)
    observation = ShipmentObservation.objects.get(shipment=shipment)
    assert (observation.omnitron_status, observation.outcome) == (int(omnitron_status), "unknown")
    assert ResolutionHealth.objects.get().unknown_seen == 1


def test_a_late_shipped_after_delivered_is_ignored_and_recorded(packed, omnitron):
    pk, shipment = packed()
    omnitron.set_status(pk, "550")
    resolve()
    omnitron.set_status(pk, "500")
    Shipment.objects.filter(pk=shipment.pk).update(status=ShipmentStatus.ATTEMPTED_DELIVERY)  # still followed

    result = resolve()

    assert result.backward == 1
    assert Package.objects.get(pk=shipment.package_id).status == PackageStatus.DELIVERED
    assert ShipmentObservation.objects.filter(
        shipment=shipment, outcome="backward", omnitron_status=500
    ).exists()


def test_nothing_happens_while_the_setting_is_off(packed, omnitron):
    pk, shipment = packed()
    application_setting_set(key="AUTO_RUN_SHIP_THE_PACKAGE_COMMAND", value=False)
    omnitron.set_status(pk, "500")
    omnitron.clear_requests()

    result = resolve()

    assert "AUTO_RUN_SHIP_THE_PACKAGE_COMMAND is false" in result.skipped
    assert state(shipment)[:2] == (ShipmentStatus.CREATED, PackageStatus.PACKED)
    assert omnitron.requests() == []


def test_omnitron_errors_change_nothing_and_the_next_cycle_succeeds(packed, omnitron):
    pk, shipment = packed()
    omnitron.set_status(pk, "500")
    omnitron.set_faults(fail_next=50)

    failed = resolve()

    assert failed.failed_batches == 1 and not failed.applied
    assert state(shipment)[:2] == (ShipmentStatus.CREATED, PackageStatus.PACKED)
    assert "503" in ResolutionHealth.objects.get().last_error

    omnitron.clear_faults()
    recovered = resolve()

    assert len(recovered.applied) == 1
    assert state(shipment)[:2] == (ShipmentStatus.SHIPPED, PackageStatus.SHIPPED)


def test_repeated_failures_open_the_breaker_and_a_good_probe_closes_it(packed, omnitron):
    pk, _ = packed()
    omnitron.set_status(pk, "500")
    omnitron.set_faults(fail_next=1000)
    for _ in range(3):
        resolve()
    assert ResolutionHealth.objects.get().breaker == "open"

    paused = resolve()
    assert "circuit breaker open" in paused.skipped

    omnitron.clear_faults()
    ResolutionHealth.objects.update(open_until=timezone.now() - timedelta(seconds=1))
    probe = resolve()

    assert len(probe.applied) == 1
    health = ResolutionHealth.objects.get()
    assert (health.breaker, health.consecutive_failures) == ("closed", 0)


def test_a_reissued_tracking_number_is_taken_and_the_old_one_kept(packed, omnitron):
    pk, shipment = packed(tracking_number="TRK-OLD")
    omnitron.set_status(pk, "500", tracking_number="TRK-NEW")

    result = resolve()

    shipment.refresh_from_db()
    assert shipment.tracking_number == "TRK-NEW"
    change = TrackingNumberChange.objects.get(shipment=shipment)
    assert (change.old_tracking_number, change.new_tracking_number) == ("TRK-OLD", "TRK-NEW")
    assert result.tracking_changes == ["TRK-OLD -> TRK-NEW"]
    assert Order.objects.get(omnitron_id=pk).tracking_number == "TRK-NEW"


def test_one_request_reads_many_orders(packed, omnitron):
    shipments = [packed(tracking_number=f"TRK-{n}") for n in range(5)]
    for pk, _ in shipments:
        omnitron.set_status(pk, "500")
    omnitron.clear_requests()

    result = resolve()

    assert len(result.applied) == 5
    reads = [r for r in omnitron.requests() if r["path"] == "/api/v1/orders/"]
    assert len(reads) == 1


def test_checks_slow_down_while_nothing_changes_and_only_due_ones_are_taken(packed, omnitron):
    _, shipment = packed()
    resolve()
    shipment.refresh_from_db()
    first_gap = shipment.next_check_at - shipment.last_checked_at
    Shipment.objects.filter(pk=shipment.pk).update(next_check_at=timezone.now())
    resolve()
    shipment.refresh_from_db()
    second_gap = shipment.next_check_at - shipment.last_checked_at

    assert shipment.unchanged_checks == 2
    assert second_gap > first_gap * 1.5

    due = shipments_resolve(client_factory=omnitron_client_get, now_fn=timezone.now, due_only=True)
    assert due.checked == 0


def test_an_old_undelivered_shipment_is_marked_stale_and_no_longer_polled(packed, omnitron):
    _, shipment = packed()
    Shipment.objects.filter(pk=shipment.pk).update(created_at=timezone.now() - timedelta(days=31))

    first = resolve()
    second = resolve()

    assert first.stale == 1 and second.checked == 0
    shipment.refresh_from_db()
    assert shipment.stale_at is not None


def test_the_api_shows_resolution_health_and_observations(api, packed, omnitron):
    pk, shipment = packed()
    omnitron.set_status(pk, "510")
    resolve()
    omnitron.set_faults(fail_next=1000)
    for _ in range(3):
        resolve()

    health = api.get("/api/v1/oms/shipment-status-resolution/").json()
    observations = api.get(f"/api/v1/oms/shipment-observations/?shipment={shipment.pk}").json()

    assert health["breaker"] == "open" and health["enabled"] is True
    assert health["followed"] == 1 and health["unknown_seen"] == 1
    assert "503" in health["last_error"]
    assert [(o["omnitron_status"], o["outcome"]) for o in observations["results"]] == [(510, "unknown")]


def test_the_command_line_cycle_prints_what_changed(packed, omnitron, capsys):
    from django.core.management import call_command

    pk, shipment = packed()
    omnitron.set_status(pk, "500")

    call_command("resolve_shipment_statuses")

    out = capsys.readouterr().out
    assert f"shipment {shipment.pk}: Omnitron 500 -> package 700" in out
    assert "1 moved" in out


def test_one_cycle_applies_every_kind_of_news_to_shipments_checked_together(packed, omnitron, settings):
    """Eight shipments in one chunk: forward moves to three different statuses go set-wise; a new
    tracking number, an unknown status and a backward one go one at a time; one shipment is stale."""
    settings.OMS_RETURN_WINDOW_DAYS = 0  # delivered leaves the schedule at once
    made = {name: packed(tracking_number=f"TRK-{name}") for name in "ABCDEFGH"}
    late_pk, late = made["G"]
    omnitron.set_status(late_pk, "540")
    resolve()  # G is attempted delivery now; Omnitron will then say shipped again
    Shipment.objects.filter(pk=made["H"][1].pk).update(created_at=timezone.now() - timedelta(days=31))
    for name, status in {"A": "500", "B": "550", "C": "540", "E": "510", "F": "500", "G": "500"}.items():
        omnitron.set_status(made[name][0], status, tracking_number="TRK-F2" if name == "F" else ...)
    logs_before = StateTransitionLog.objects.filter(command="SHIPMENT_STATUS_RESOLUTION").count()

    result = resolve()

    assert result.summary() | {"batches": 0} == {
        "skipped": "",
        "checked": 8,
        "applied": 4,
        "backward": 1,
        "unknown": 1,
        "missing": 0,
        "tracking_changes": 1,
        "stale": 1,
        "errors": 0,
        "batches": 0,
        "failed_batches": 0,
    }
    shipped = (ShipmentStatus.SHIPPED, PackageStatus.SHIPPED, {PackageStatus.SHIPPED}, {500}, 500)
    attempted = (
        ShipmentStatus.ATTEMPTED_DELIVERY,
        PackageStatus.ATTEMPTED_DELIVERY,
        {PackageStatus.ATTEMPTED_DELIVERY},
        {540},
        540,
    )
    untouched = (ShipmentStatus.CREATED, PackageStatus.PACKED, {PackageStatus.PACKED}, {450}, 450)
    assert state(made["A"][1]) == shipped and state(made["F"][1]) == shipped
    assert state(made["B"][1]) == (
        ShipmentStatus.DELIVERED,
        PackageStatus.DELIVERED,
        {PackageStatus.DELIVERED},
        {550},
        550,
    )
    assert state(made["C"][1]) == attempted and state(late) == attempted
    assert state(made["D"][1]) == untouched and state(made["E"][1]) == untouched
    assert state(made["H"][1]) == untouched
    assert made["F"][1].tracking_number == "TRK-F2"

    logs = StateTransitionLog.objects.filter(command="SHIPMENT_STATUS_RESOLUTION").order_by("id")[
        logs_before:
    ]
    by_package = {log.package_id: log for log in logs}
    assert len(logs) == 4 and set(by_package) == {made[name][1].package_id for name in "ABCF"}
    for name, new_state in {"A": 700, "B": 800, "C": 720, "F": 700}.items():
        log = by_package[made[name][1].package_id]
        assert (log.old_state, log.new_state) == (PackageStatus.PACKED, new_state)
        observation = ShipmentObservation.objects.get(pk=log.attributes["observation"])
        assert (observation.shipment_id, observation.outcome) == (made[name][1].pk, "applied")
        assert observation.tracking_number == ("TRK-F2" if name == "F" else f"TRK-{name}")
    outcomes = {
        name: sorted(
            ShipmentObservation.objects.filter(shipment=made[name][1]).values_list("outcome", flat=True)
        )
        for name in "DEG"
    }
    assert outcomes == {"D": [], "E": ["unknown"], "G": ["applied", "backward"]}

    now = timezone.now()
    for name, (_, shipment) in made.items():
        shipment.refresh_from_db()
        assert shipment.last_checked_at is not None, name
        if name == "H":
            assert (shipment.stale_at is not None, shipment.next_check_at) == (True, None)
        elif name != "B":  # delivered: no longer followed
            assert shipment.next_check_at > now, name
    assert [made[name][1].omnitron_status for name in "ADE"] == [500, 400, 510]
    assert made["D"][1].unchanged_checks == 2 and made["A"][1].unchanged_checks == 0  # checked twice

    again = resolve()
    assert (again.checked, again.applied, again.backward, again.unknown) == (6, [], 0, 0)
    assert StateTransitionLog.objects.filter(command="SHIPMENT_STATUS_RESOLUTION").count() == logs_before + 4


def test_shipments_another_run_moved_after_the_claim_are_not_moved_or_logged_twice(packed, omnitron):
    """A run claims shipments, then, while it reads Omnitron, another run applies the same news.

    The first run decides on the statuses it finds once it holds the rows, not on the ones it
    claimed: one move, one observation and one log per package."""
    made = [packed(tracking_number=f"TRK-R{n}") for n in range(3)]
    for pk, _ in made:
        omnitron.set_status(pk, "500")
    outer, inner = resolve_while_another_run_goes_first()

    assert len(inner[0].applied) == 3 and outer.applied == [] and outer.checked == 3
    for _, shipment in made:
        assert state(shipment)[:2] == (ShipmentStatus.SHIPPED, PackageStatus.SHIPPED)
        assert ShipmentObservation.objects.filter(shipment=shipment).count() == 1
        assert (
            StateTransitionLog.objects.filter(
                package_id=shipment.package_id, command="SHIPMENT_STATUS_RESOLUTION"
            ).count()
            == 1
        )


def test_a_new_tracking_number_another_run_took_after_the_claim_is_not_recorded_twice(packed, omnitron):
    pk, shipment = packed(tracking_number="TRK-OLD")
    omnitron.set_status(pk, "500", tracking_number="TRK-NEW")
    outer, inner = resolve_while_another_run_goes_first()

    assert len(inner[0].tracking_changes) == 1 and outer.tracking_changes == [] and outer.applied == []
    assert list(
        TrackingNumberChange.objects.filter(shipment=shipment).values_list("new_tracking_number", flat=True)
    ) == ["TRK-NEW"]
    assert ShipmentObservation.objects.filter(shipment=shipment).count() == 1
