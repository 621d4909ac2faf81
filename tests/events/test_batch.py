"""Events recorded inside `events_batch`: written together when the block ends, or not at all."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from oms.events.catalogue import PACKAGE_PACKED, PACKAGE_TRANSITIONED, SHIPMENT_CREATED
from oms.events.models import EventDelivery
from oms.events.services import event_record, events_batch
from tests.events.conftest import subscribe

pytestmark = pytest.mark.django_db


def test_a_batch_writes_its_events_in_order_with_one_look_up_and_one_insert(private_targets, receiver):
    every = subscribe(receiver.url)
    packed_only = subscribe(receiver.url, event_type=PACKAGE_PACKED)
    now = timezone.now()

    with transaction.atomic(), CaptureQueriesContext(connection) as queries, events_batch(now=now):
        for event_type in (SHIPMENT_CREATED, PACKAGE_TRANSITIONED, PACKAGE_PACKED):
            assert event_record(type=event_type, key="package:5", data={"type": event_type}, now=now) == []
        assert not EventDelivery.objects.exists()  # nothing written before the block ends

    statements = [q["sql"] for q in queries.captured_queries if "events_" in q["sql"]]
    assert [sql.split()[0] for sql in statements] == [
        "SELECT",
        "SELECT",
        "INSERT",
    ]  # the check above, look-up, insert
    rows = list(EventDelivery.objects.order_by("id").values_list("subscription_id", "event_type", "data"))
    assert rows == [
        (every.pk, SHIPMENT_CREATED, {"type": SHIPMENT_CREATED}),
        (every.pk, PACKAGE_TRANSITIONED, {"type": PACKAGE_TRANSITIONED}),
        (every.pk, PACKAGE_PACKED, {"type": PACKAGE_PACKED}),
        (packed_only.pk, PACKAGE_PACKED, {"type": PACKAGE_PACKED}),
    ]
    per_event = EventDelivery.objects.filter(event_type=PACKAGE_PACKED).values_list("event_id", flat=True)
    assert len(set(per_event)) == 1  # one event, two subscriptions


def test_a_batch_that_fails_writes_nothing_and_builds_nothing(private_targets, receiver):
    subscribe(receiver.url)
    now = timezone.now()

    def build():
        raise AssertionError("the data of a dropped batch must not be built")

    with pytest.raises(RuntimeError), transaction.atomic(), events_batch(now=now):
        event_record(type=PACKAGE_TRANSITIONED, key="package:6", data=build, now=now)
        raise RuntimeError("the change failed")

    assert not EventDelivery.objects.exists()
    # The next event, outside any batch, is written at once.
    event_record(type=PACKAGE_TRANSITIONED, key="package:6", data={}, now=now)
    assert EventDelivery.objects.count() == 1


def test_an_unknown_type_is_refused_at_once_even_in_a_batch(db):
    with pytest.raises(ValueError, match="Unknown event type"), events_batch(now=timezone.now()):
        event_record(type="package.teleported", key="package:1", data={}, now=timezone.now())
