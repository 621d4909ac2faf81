"""Delivered shipments stay lightly followed for a return window (OMS_RETURN_WINDOW_DAYS), on the
slowest schedule, so a refund (Omnitron 600) is seen; then they leave the schedule."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q

from oms.core.statuses import ShipmentStatus
from oms.shipments.models import Shipment


def in_return_window() -> Q:
    """Delivered shipments still followed (their window is open: they have a next check)."""
    return Q(status=ShipmentStatus.DELIVERED, return_window_until__isnull=False, next_check_at__isnull=False)


def return_window_schedule(*, shipment_ids: list[int], now: datetime) -> None:
    """After a check: open the window of the shipments just delivered, check the others in theirs
    on the slow schedule, and let those whose window closed leave the schedule."""
    delivered = Shipment.objects.filter(pk__in=shipment_ids, status=ShipmentStatus.DELIVERED)
    slow = now + timedelta(seconds=settings.OMS_TRACKING_MAX_INTERVAL_SECONDS)
    delivered.filter(return_window_until__isnull=True).update(
        return_window_until=now + timedelta(days=settings.OMS_RETURN_WINDOW_DAYS)
    )
    delivered.filter(return_window_until__gt=now).update(next_check_at=slow, stale_at=None)
    delivered.filter(return_window_until__lte=now).update(next_check_at=None)
