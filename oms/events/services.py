"""Recording events with the change that causes them, and replaying them."""

import logging
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q

from oms.core.errors import DomainError
from oms.events.catalogue import ALL_TYPES, EVENT_TYPES
from oms.events.models import DeliveryState, EventDelivery, WebhookSubscription

logger = logging.getLogger(__name__)


def event_record(
    *, type: str, key: str, data: dict[str, Any] | Callable[[], dict[str, Any]], now: datetime
) -> list[EventDelivery]:
    """Write one outbox row per active subscription to `type`, in the caller's transaction.

    Fan-out at write: with no subscription nothing is written and `data` (a value or a callable
    building it) is never built, so the change pays one small read. Rows are delivered after
    commit; per `key` (e.g. "package:12") and subscription, in the order they were recorded.
    """
    return _record(type=type, key=key, data=data, now=now, subscribers=_subscribers([type]))


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


def _record(
    *,
    type: str,
    key: str,
    data: dict[str, Any] | Callable[[], dict[str, Any]],
    now: datetime,
    subscribers: dict[str, list[int]],
) -> list[EventDelivery]:
    subscription_ids = subscribers.get(type, [])
    if not subscription_ids:
        return []
    payload = data() if callable(data) else data
    event_id = uuid.uuid4()
    rows = EventDelivery.objects.bulk_create(
        [
            EventDelivery(
                subscription_id=subscription_id,
                event_id=event_id,
                event_type=type,
                key=key,
                data=payload,
                occurred_at=now,
                next_attempt_at=now,
                created_at=now,
                modified_at=now,
            )
            for subscription_id in subscription_ids
        ]
    )
    from oms.events.wakeup import wake_delivery

    transaction.on_commit(wake_delivery)
    return rows


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
    shipment_data: dict[str, Any] | Callable[[], dict[str, Any]] | None = None,
) -> None:
    """Record what a package's status change says: `package.status.transitioned`, the new status's
    own event (packed, shipped, cancelled) and, when given, `shipment.status.updated`.

    The package is shown as its API shows it (the builder the packages app registered), built at
    most once and only when some subscription wants one of these events.
    """
    from oms.events.catalogue import SHIPMENT_STATUS_UPDATED, package_key, package_status_event_types
    from oms.events.registry import representation_get

    key = package_key(package_id)
    built: list[dict[str, Any]] = []

    def package_data() -> dict[str, Any]:
        if not built:
            built.append(representation_get(kind="package", pk=package_id))
        return built[0]

    types = package_status_event_types(new_status) if package_moved else []
    if shipment_data is not None:
        types = [SHIPMENT_STATUS_UPDATED, *types]
    if not types:
        return
    subscribers = _subscribers(types)
    for event_type in types:
        data = shipment_data if event_type == SHIPMENT_STATUS_UPDATED else package_data
        _record(type=event_type, key=key, data=data, now=now, subscribers=subscribers)
