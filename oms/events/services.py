"""Recording events with the change that causes them, and replaying them."""

import logging
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q

from oms.core.errors import DomainError
from oms.events.catalogue import ALL_TYPES, EVENT_TYPES
from oms.events.models import DeliveryState, EventDelivery, WebhookSubscription

logger = logging.getLogger(__name__)


Data = dict[str, Any] | Callable[[], dict[str, Any]]


@dataclass(frozen=True)
class _Pending:
    type: str
    key: str
    data: Data


# The events recorded inside `events_batch`, not yet written (None outside a batch).
_batch: ContextVar[list[_Pending] | None] = ContextVar("oms_events_batch", default=None)


def event_record(*, type: str, key: str, data: Data, now: datetime) -> list[EventDelivery]:
    """Write one outbox row per active subscription to `type`, in the caller's transaction.

    Fan-out at write: with no subscription nothing is written and `data` (a value or a callable
    building it) is never built, so the change pays one small read. Rows are delivered after
    commit; per `key` (e.g. "package:12") and subscription, in the order they were recorded.
    Inside `events_batch` the event is only queued (and [] returned): the batch writes it.
    """
    if type not in EVENT_TYPES:
        raise ValueError(f"Unknown event type {type!r}")
    return _write([_Pending(type, key, data)], now=now)


@contextmanager
def events_batch(*, now: datetime) -> Iterator[None]:
    """Collect the events recorded inside, and write them all when the block ends without error:
    one subscription look-up and one insert for the lot, instead of one of each per event.

    Use it inside the transaction of the change (the rows must commit with it). A batch inside a
    batch adds to the outer one; an exception drops what was collected, with the change.
    """
    if _batch.get() is not None:
        yield
        return
    pending: list[_Pending] = []
    token = _batch.set(pending)
    try:
        yield
    finally:
        _batch.reset(token)
    _write(pending, now=now)


def _write(events: list[_Pending], *, now: datetime) -> list[EventDelivery]:
    """Write `events` (in order) for the subscriptions wanting them; or queue them in the batch."""
    pending = _batch.get()
    if pending is not None:
        pending.extend(events)
        return []
    if not events:
        return []
    subscribers = _subscribers(list(dict.fromkeys(event.type for event in events)))
    rows: list[EventDelivery] = []
    for event in events:
        subscription_ids = subscribers.get(event.type, [])
        if not subscription_ids:
            continue
        payload = event.data() if callable(event.data) else event.data
        event_id = uuid.uuid4()
        rows.extend(
            EventDelivery(
                subscription_id=subscription_id,
                event_id=event_id,
                event_type=event.type,
                key=event.key,
                data=payload,
                occurred_at=now,
                next_attempt_at=now,
                created_at=now,
                modified_at=now,
            )
            for subscription_id in subscription_ids
        )
    if not rows:
        return []
    rows = EventDelivery.objects.bulk_create(rows)
    from oms.events.wakeup import wake_delivery

    transaction.on_commit(wake_delivery)
    return rows


def _subscribers(types: list[str]) -> dict[str, list[int]]:
    """The active subscriptions wanting each of `types` (one query for all of them)."""
    unknown = [name for name in types if name not in EVENT_TYPES]
    if unknown:
        raise ValueError(f"Unknown event type(s) {unknown!r}")
    rows = (
        WebhookSubscription.objects.filter(Q(event_type__in=types) | Q(event_type=ALL_TYPES), is_active=True)
        .order_by("id")
        .values_list("id", "event_type")
    )
    wanted: dict[str, list[int]] = {name: [] for name in types}
    for subscription_id, event_type in rows:
        for name in types if event_type == ALL_TYPES else [event_type]:
            wanted[name].append(subscription_id)
    return wanted


def event_replay(
    *,
    subscription_id: int,
    delivery_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    now: datetime,
) -> list[EventDelivery]:
    """Queue events to a subscription again, as new deliveries with the same event ids.

    Either one dead-lettered delivery (`delivery_id`), or every event of the subscription that
    occurred in [since, until). A replay is delivered after what is already queued for its key.
    """
    subscription = WebhookSubscription.objects.filter(pk=subscription_id).first()
    if subscription is None:
        raise DomainError(f"There is no webhook subscription with id {subscription_id}.", field="id")
    originals = EventDelivery.objects.filter(subscription_id=subscription_id, replay_of__isnull=True)
    if delivery_id is not None:
        original = EventDelivery.objects.filter(subscription_id=subscription_id, pk=delivery_id).first()
        if original is None:
            raise DomainError(
                f"Subscription {subscription_id} has no delivery {delivery_id}. "
                f"List them with GET /api/v1/oms/whisperer/hooks/{subscription_id}/deliveries/.",
                field="event",
            )
        if original.state != DeliveryState.DEAD:
            raise DomainError(
                f"Delivery {delivery_id} is {original.state}, not dead-lettered: only dead-lettered "
                "events are replayed one by one (replay a time range to send delivered ones again).",
                field="event",
            )
        chosen = [original]
    else:
        if since is None or until is None or since >= until:
            raise DomainError("Send 'since' before 'until' (ISO 8601 times).", field="since")
        chosen = list(originals.filter(occurred_at__gte=since, occurred_at__lt=until).order_by("id")[:10_000])
    with transaction.atomic():
        rows = EventDelivery.objects.bulk_create(
            [
                EventDelivery(
                    subscription_id=subscription_id,
                    event_id=row.event_id,
                    event_type=row.event_type,
                    key=row.key,
                    data=row.data,
                    occurred_at=row.occurred_at,
                    next_attempt_at=now,
                    replay_of_id=row.replay_of_id or row.pk,
                    created_at=now,
                    modified_at=now,
                )
                for row in chosen
            ]
        )
        from oms.events.wakeup import wake_delivery

        transaction.on_commit(wake_delivery)
    logger.info("Replaying %s event(s) to subscription %s", len(rows), subscription_id)
    return rows


def package_events_record(
    *,
    package_id: int,
    new_status: int,
    now: datetime,
    package_moved: bool = True,
    shipment_data: Data | None = None,
    package_data: Callable[[], dict[str, Any]] | None = None,
) -> None:
    """Record what a package's status change says: `package.status.transitioned`, the new status's
    own event (packed, shipped, cancelled) and, when given, `shipment.status.updated`.

    The package is shown as its API shows it (`package_data`, or else the builder the packages app
    registered), built at most once and only when some subscription wants one of these events.
    """
    from oms.events.catalogue import SHIPMENT_STATUS_UPDATED, package_key, package_status_event_types
    from oms.events.registry import representation_get

    key = package_key(package_id)
    built: list[dict[str, Any]] = []

    def package_shown() -> dict[str, Any]:
        if not built:
            if package_data is not None:
                built.append(package_data())
            else:
                built.append(representation_get(kind="package", pk=package_id))
        return built[0]

    types = package_status_event_types(new_status) if package_moved else []
    events = [_Pending(event_type, key, package_shown) for event_type in types]
    if shipment_data is not None:
        events.insert(0, _Pending(SHIPMENT_STATUS_UPDATED, key, shipment_data))
    _write(events, now=now)
