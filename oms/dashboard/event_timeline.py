"""The package timeline's source for outbound events: each event to each subscription, and how
its delivery stands (one query, with the attempts prefetched)."""

from oms.events.catalogue import package_key
from oms.events.models import DeliveryState, EventDelivery
from oms.events.selectors import delivery_list

# After the report entries of the same instant (see package_page._RANK).
EVENT_RANK = 5
_TONE: dict[str, str] = {
    DeliveryState.DELIVERED: "ok",
    DeliveryState.PENDING: "info",
    DeliveryState.FAILED: "warn",
    DeliveryState.DEAD: "error",
}


def event_entries(package_id: int, entry_class) -> list:
    """Timeline entries (of `entry_class`, the timeline's own) for the package's events."""
    rows = delivery_list(key=package_key(package_id)).select_related("subscription")[:200]
    return [_entry(row, entry_class) for row in rows]


def _entry(row: EventDelivery, entry_class):
    details = [("to", row.subscription.target_url), ("event id", str(row.event_id))]
    details.append(("attempts", str(row.attempts)))
    for attempt in row.attempt_log.all():
        answer = f"HTTP {attempt.status_code}" if attempt.status_code else attempt.error
        details.append((f"attempt {attempt.attempted_at:%H:%M:%S}", answer or attempt.outcome))
    if row.last_error and row.state != DeliveryState.DELIVERED:
        details.append(("last error", row.last_error))
    if row.replay_of_id:
        details.append(("replay of delivery", str(row.replay_of_id)))
    return entry_class(
        at=row.occurred_at,
        kind="event",
        title=f"Event {row.event_type} to subscription #{row.subscription_id}",
        summary=row.get_state_display(),
        actor="OMS webhooks",
        details=tuple(details),
        tone=_TONE.get(row.state, "info"),
        rank=EVENT_RANK,
        ref=row.pk,
    )
