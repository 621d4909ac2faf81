from django.db.models import Prefetch, QuerySet

from oms.events.models import EventDelivery, EventDeliveryAttempt, WebhookSubscription

RECENT_DELIVERIES = 50


def subscription_list() -> QuerySet[WebhookSubscription]:
    return WebhookSubscription.objects.order_by("id")


def delivery_list(*, subscription_id: int | None = None, key: str | None = None) -> QuerySet[EventDelivery]:
    """Deliveries, newest first, with their attempts (one query for all of them)."""
    rows = EventDelivery.objects.prefetch_related(
        Prefetch("attempt_log", queryset=EventDeliveryAttempt.objects.order_by("id"))
    ).order_by("-id")
    if subscription_id is not None:
        rows = rows.filter(subscription_id=subscription_id)
    if key is not None:
        rows = rows.filter(key=key)
    return rows


def subscriptions_with_recent_deliveries(
    limit: int = 10,
) -> list[tuple[WebhookSubscription, list[EventDelivery]]]:
    """Every subscription and its last `limit` deliveries, for the operator page."""
    return [
        (subscription, list(delivery_list(subscription_id=subscription.pk)[:limit]))
        for subscription in subscription_list()
    ]
