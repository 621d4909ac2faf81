"""The circuit breaker and the health of resolution, as the dashboard and the API show it.

A failed batch changes nothing and is retried later (OMS_TRACKING_FAILURE_RETRY_SECONDS);
OMS_TRACKING_BREAKER_THRESHOLD failures in a row open a circuit breaker that pauses resolution
(OMS_TRACKING_BREAKER_COOL_DOWN_SECONDS, doubling up to OMS_TRACKING_BREAKER_COOL_DOWN_MAX_SECONDS)
until a probe (a batch of one shipment) succeeds. All of it lives in one `ResolutionHealth` row.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, F

from oms.configuration.services import application_setting_get
from oms.core.statuses import ShipmentStatus
from oms.shipments.models import ResolutionHealth, Shipment
from oms.shipments.resolution.claim import due_filter, followed_shipments
from oms.shipments.resolution.result import CycleResult
from oms.shipments.resolution.statuses import SETTING_KEY

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ResolutionHealthReport:
    """How resolution is doing: its health row and the live counts of the shipments it follows."""

    health: ResolutionHealth  # unsaved, with its defaults, until the first cycle wrote it
    recorded: bool  # False until the first cycle wrote the health row
    followed: int  # shipments followed in Omnitron now
    due: int  # followed shipments whose check is due now (no next check time counts as due)
    stale: int  # shipments not delivered in time, no longer checked
    enabled: bool  # the setting that turns resolution on


def resolution_health_get(*, now: datetime) -> ResolutionHealthReport:
    """The health row, the counts of followed, due and stale shipments, and the setting.

    The one place the dashboard and the API read resolution's health from; a fixed number of
    queries.
    """
    row = ResolutionHealth.objects.filter(pk=1).first()
    counts = followed_shipments().aggregate(followed=Count("id"), due=Count("id", filter=due_filter(now)))
    stale = Shipment.objects.filter(stale_at__isnull=False, status__lt=ShipmentStatus.DELIVERED).count()
    return ResolutionHealthReport(
        health=row or ResolutionHealth(pk=1),
        recorded=row is not None,
        followed=counts["followed"],
        due=counts["due"],
        stale=stale,
        enabled=application_setting_get(SETTING_KEY) is True,
    )


def breaker_cool_down(failures: int) -> timedelta:
    """How long the breaker stays open after `failures` failed batches in a row (at the threshold or more)."""
    excess = max(failures - settings.OMS_TRACKING_BREAKER_THRESHOLD, 0)
    seconds = min(
        settings.OMS_TRACKING_BREAKER_COOL_DOWN_SECONDS * 2 ** min(excess, 20),
        settings.OMS_TRACKING_BREAKER_COOL_DOWN_MAX_SECONDS,
    )
    return timedelta(seconds=seconds)


def health_row() -> ResolutionHealth:
    """The health row, created with its defaults on the first cycle."""
    row, _ = ResolutionHealth.objects.get_or_create(pk=1)
    return row


def breaker_pause_reason(row: ResolutionHealth, *, now: datetime) -> str:
    """Why resolution must not run now (the breaker is open and cooling down), or "" if it may."""
    if row.breaker != ResolutionHealth.BREAKER_OPEN or not row.open_until or now >= row.open_until:
        return ""
    return (
        f"circuit breaker open after {row.consecutive_failures} failed batches "
        f"(last error: {row.last_error}); next probe after {row.open_until:%H:%M:%S} UTC"
    )


def batch_failure_record(error: str, now: datetime) -> None:
    """Count a failed batch; at the threshold, open the breaker for a cool-down."""
    row = health_row()
    failures = row.consecutive_failures + 1
    fields: dict[str, Any] = {
        "consecutive_failures": failures,
        "last_error": error[:2000],
        "last_error_at": now,
    }
    if failures >= settings.OMS_TRACKING_BREAKER_THRESHOLD:
        cool_down = breaker_cool_down(failures)
        fields.update(breaker=ResolutionHealth.BREAKER_OPEN, open_until=now + cool_down)
        logger.error("Shipment status resolution circuit breaker open until %s: %s", now + cool_down, error)
    ResolutionHealth.objects.filter(pk=1).update(**fields)


def batch_success_record(now: datetime) -> None:
    """A batch went through: the breaker closes and the failure count starts again."""
    ResolutionHealth.objects.filter(pk=1).exclude(
        breaker=ResolutionHealth.BREAKER_CLOSED, consecutive_failures=0, last_success_at__gte=now
    ).update(
        breaker=ResolutionHealth.BREAKER_CLOSED, consecutive_failures=0, open_until=None, last_success_at=now
    )


def cycle_record(result: CycleResult, now: datetime) -> None:
    """Keep the cycle's summary and add its backward and unknown statuses to the totals seen."""
    ResolutionHealth.objects.filter(pk=1).update(
        last_cycle_at=now,
        last_cycle_summary=result.summary(),
        backward_seen=F("backward_seen") + result.backward,
        unknown_seen=F("unknown_seen") + result.unknown,
    )
