from celery import shared_task
from django.utils import timezone

from oms.omnitron.client import omnitron_client_get
from oms.shipments.resolution import shipments_resolve


@shared_task(name="oms.shipments.tasks.resolve_shipment_statuses")
def resolve_shipment_statuses() -> dict:
    """One resolution cycle over the due shipments (idempotent: rows are claimed)."""
    return shipments_resolve(client_factory=omnitron_client_get, now_fn=timezone.now).summary()
