from celery import shared_task
from django.utils import timezone

from oms.omnitron.client import omnitron_client_get
from oms.omnitron.errors import OmnitronError
from oms.orders.reconciliation import orders_reconcile


@shared_task(name="oms.orders.tasks.reconcile_orders")
def reconcile_orders() -> str:
    """Pull approved orders OMS lacks from Omnitron (idempotent; safe to run twice)."""
    try:
        return orders_reconcile(client_factory=omnitron_client_get, now=timezone.now()).summary()
    except OmnitronError as exc:
        return f"skipped: {exc}"
