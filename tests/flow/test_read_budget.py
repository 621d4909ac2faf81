"""The Omnitron read budget (OMS_OMNITRON_READS_PER_MINUTE) and the requests it fills.

Against the Omnitron sandbox as a real HTTP server: the requests counted are the ones it logged.
"""

import threading
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from oms.core.statuses import ShipmentStatus
from oms.omnitron.client import omnitron_client_get
from oms.shipments.models import Shipment, ShipmentObservation
from oms.shipments.resolution import shipments_resolve
from oms.shipments.resolution.budget import read_give_back, read_take, reads_taken

SEED_BODY = {"slug": "CHANNEL_BASED_COMPLETE_PACKAGING", "input_parameters": {}}


@pytest.fixture
def packed(api, marketplace, omnitron):
    """Orders made in Omnitron, ingested and packed: a list of (omnitron pk, shipment id)."""

    def make(count: int) -> list[tuple[int, int]]:
        made = []
        for n in range(count):
            order = omnitron.create_order(
                channel=42, cargo_company=7, tracking_number=f"TRK-B{n}", item_count=1
            )
            response = api.post("/api/v1/oms/omnitron/orders/", {"pk": order["pk"]}, format="json")
            package_id = response.json()["packages"][0]["id"]
            assert (
                api.post(f"/api/v1/oms/packages/{package_id}/command/", SEED_BODY, format="json").status_code
                == 204
            )
            made.append((order["pk"], Shipment.objects.get(package_id=package_id).pk))
        return made

    return make


def id_in_requests(omnitron) -> list[list[int]]:
    """The order ids of every `GET /api/v1/orders/?id__in=...` the sandbox answered."""
    asked = []
    for entry in omnitron.requests("/api/v1/orders/"):
        params = entry["params"] or {}
        if "id__in" in params:
            value = params["id__in"]
            value = value[0] if isinstance(value, list) else value
            asked.append([int(pk) for pk in str(value).split(",") if pk])
    return asked


def at(moment):
    return lambda: moment


def age(shipment_id: int, *, hours: float, now, next_check_in: timedelta | None, checked_ago=None) -> None:
    Shipment.objects.filter(pk=shipment_id).update(
        created_at=now - timedelta(hours=hours),
        next_check_at=None if next_check_in is None else now + next_check_in,
        last_checked_at=None if checked_ago is None else now - checked_ago,
    )


@pytest.mark.django_db
def test_reads_are_taken_up_to_the_cap_each_minute_and_given_back_when_unused():
    now = timezone.now().replace(second=10)
    with override_settings(OMS_OMNITRON_READS_PER_MINUTE=2):
        assert read_take(now=now) and read_take(now=now + timedelta(seconds=20))
        assert not read_take(now=now + timedelta(seconds=30))
        read_give_back(now=now)
        assert reads_taken(now=now) == 1
        assert read_take(now=now) and not read_take(now=now)
        assert read_take(now=now + timedelta(minutes=1))  # a new minute, a new count
        assert reads_taken(now=now + timedelta(minutes=1)) == 1
    with override_settings(OMS_OMNITRON_READS_PER_MINUTE=0):
        assert all(read_take(now=now) for _ in range(5))  # no cap


def test_due_shipments_go_first_then_the_most_likely_to_have_moved_and_the_budget_holds(packed, omnitron):
    (due, due_id), (late, late_id), (mid, mid_id), (fresh, fresh_id), (seen, seen_id) = packed(5)
    for pk in (due, late, mid, fresh, seen):
        omnitron.set_status(pk, "500")
    now = timezone.now().replace(second=5, microsecond=0)  # both cycles in one minute
    later = timedelta(hours=1)
    age(due_id, hours=3, now=now, next_check_in=timedelta(seconds=-1))
    age(late_id, hours=29, now=now, next_check_in=later)  # near the end of the ship window
    age(mid_id, hours=10, now=now, next_check_in=later)
    age(fresh_id, hours=1, now=now, next_check_in=later)  # before the ship window: unlikely
    age(seen_id, hours=20, now=now, next_check_in=later, checked_ago=timedelta(minutes=1))
    omnitron.clear_requests()

    with override_settings(OMS_OMNITRON_READS_PER_MINUTE=1, OMS_TRACKING_BATCH_SIZE=3):
        first = shipments_resolve(client_factory=omnitron_client_get, now_fn=at(now))
        second = shipments_resolve(client_factory=omnitron_client_get, now_fn=at(now + timedelta(seconds=30)))

    asked = id_in_requests(omnitron)
    assert asked == [sorted([due, late, mid])]
    assert first.checked == 3 and first.filled == 2 and first.budget_spent  # "seen" still waits
    assert second.checked == 0 and second.budget_spent
    moved = set(Shipment.objects.filter(status=ShipmentStatus.SHIPPED).values_list("pk", flat=True))
    assert moved == {due_id, late_id, mid_id}


def test_without_a_cap_requests_carry_due_shipments_only(packed, omnitron):
    (due, due_id), (_, other_id) = packed(2)
    now = timezone.now()
    age(due_id, hours=29, now=now, next_check_in=None)
    age(other_id, hours=29, now=now, next_check_in=timedelta(hours=1))
    omnitron.clear_requests()
    with override_settings(OMS_OMNITRON_READS_PER_MINUTE=0):
        result = shipments_resolve(client_factory=omnitron_client_get, now_fn=at(now))
    assert id_in_requests(omnitron) == [[due]]
    assert result.checked == 1 and result.filled == 0


def test_a_filled_shipment_never_moves_backward(packed, omnitron):
    ((pk, shipment_id),) = packed(1)
    omnitron.set_status(pk, "550")
    now = timezone.now()
    with override_settings(OMS_OMNITRON_READS_PER_MINUTE=5):
        shipments_resolve(client_factory=omnitron_client_get, now_fn=at(now))
        assert Shipment.objects.get(pk=shipment_id).status == ShipmentStatus.DELIVERED
        # Delivered is final: in its return window it keeps its slow schedule and is never filled.
        omnitron.set_status(pk, "500")
        omnitron.clear_requests()
        later = now + timedelta(hours=1)
        result = shipments_resolve(client_factory=omnitron_client_get, now_fn=at(later))
    assert id_in_requests(omnitron) == [] and result.checked == 0
    assert Shipment.objects.get(pk=shipment_id).status == ShipmentStatus.DELIVERED


def test_a_shipped_shipment_filled_while_omnitron_says_less_stays_shipped(packed, omnitron):
    ((pk, shipment_id),) = packed(1)
    omnitron.set_status(pk, "500")
    now = timezone.now()
    with override_settings(OMS_OMNITRON_READS_PER_MINUTE=5):
        shipments_resolve(client_factory=omnitron_client_get, now_fn=at(now))
        omnitron.set_status(pk, "450")
        later = now + timedelta(hours=2)
        Shipment.objects.filter(pk=shipment_id).update(
            created_at=later - timedelta(hours=40), next_check_at=later + timedelta(hours=1)
        )
        result = shipments_resolve(client_factory=omnitron_client_get, now_fn=at(later))
    assert result.filled == 1 and result.checked == 1
    assert Shipment.objects.get(pk=shipment_id).status == ShipmentStatus.SHIPPED


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_cycles_share_the_budget_and_never_check_a_shipment_twice(packed, omnitron):
    made = packed(8)
    for pk, _ in made:
        omnitron.set_status(pk, "500")
    now = timezone.now()
    for _, shipment_id in made:
        age(shipment_id, hours=5, now=now, next_check_in=timedelta(hours=1) if shipment_id % 2 else None)
    omnitron.clear_requests()
    start = threading.Barrier(2)
    results = []
    failures = []

    def cycle():
        try:
            start.wait()
            results.append(shipments_resolve(client_factory=omnitron_client_get, now_fn=at(now)))
        except Exception as exc:  # surfaced by the assertion below
            failures.append(exc)
        finally:
            from django.db import connection

            connection.close()

    with override_settings(OMS_OMNITRON_READS_PER_MINUTE=3, OMS_TRACKING_BATCH_SIZE=2):
        threads = [threading.Thread(target=cycle) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert not failures, failures
    asked = id_in_requests(omnitron)
    assert len(asked) == 3  # the cap, though each cycle alone would have sent four
    carried = [pk for ids in asked for pk in ids]
    assert len(carried) == len(set(carried)) == 6  # no shipment in two requests
    assert sum(result.checked for result in results) == 6
    assert ShipmentObservation.objects.count() == 6
    assert Shipment.objects.filter(status=ShipmentStatus.SHIPPED).count() == 6
