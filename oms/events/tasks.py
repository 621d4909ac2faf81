from celery import shared_task
from django.utils import timezone

from oms.events.delivery import events_deliver_due


@shared_task(name="oms.events.tasks.deliver_events")
def deliver_events() -> dict[str, int]:
    """Deliver every due event to its subscription (idempotent: rows are claimed)."""
    return events_deliver_due(now_fn=timezone.now)
