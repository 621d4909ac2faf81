from celery import shared_task
from django.utils import timezone

from oms.omnitron.client import omnitron_client_get
from oms.omnitron.reports import reports_deliver_due


@shared_task(name="oms.omnitron.tasks.deliver_reports")
def deliver_reports() -> dict[str, int]:
    """Send every due report to Omnitron (idempotent: claims rows, safe to run concurrently)."""
    return reports_deliver_due(now_fn=timezone.now, client_factory=omnitron_client_get)
