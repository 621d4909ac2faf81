"""Claiming due shipments, so that concurrent runs never check the same ones.

Due shipments are claimed in bounded batches (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite's
single writer serialises the same statements); the claim moves their `next_check_at` past a lease
(OMS_TRACKING_CLAIM_LEASE_SECONDS) in the same transaction, so a worker that dies leaves them due
again after the lease. What a claim read may be behind by the time the shipments are written, so
each write transaction locks and re-reads them first (`shipments_lock_current`).
"""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet

from oms.core.db import lock_rows
from oms.core.statuses import ShipmentStatus
from oms.shipments.models import Shipment
from oms.shipments.registry import SHIPMENT_CLIENTS
from oms.shipments.resolution.statuses import FOLLOWED_STATUSES


@dataclass
class ClaimedShipment:
    """A claimed shipment, with what resolution decides on (refreshed under lock before writing)."""

    pk: int
    package_id: int
    order_omnitron_id: int  # the Omnitron order whose status the shipment follows
    created_at: datetime
    status: int
    omnitron_status: int | None
    tracking_number: str
    unchanged_checks: int


# What `shipments_lock_current` re-reads: everything a decision depends on that may have changed.
CURRENT_FIELDS = ("status", "omnitron_status", "tracking_number", "unchanged_checks")


def claim_lease() -> timedelta:
    """How long claimed shipments stay hidden from other runs (a dead worker's rows wait this long)."""
    return timedelta(seconds=settings.OMS_TRACKING_CLAIM_LEASE_SECONDS)


def failure_retry() -> timedelta:
    """When a shipment whose check failed is due again (before jitter)."""
    return timedelta(seconds=settings.OMS_TRACKING_FAILURE_RETRY_SECONDS)


def followed_client_paths() -> list[str]:
    """Shipment clients that call no carrier and follow the shipment through Omnitron."""
    return [path for path, cls in SHIPMENT_CLIENTS.items() if cls.follows_omnitron_status]


def in_return_window() -> Q:
    """Delivered shipments still followed so a refund (Omnitron 600) is seen: their return window
    is open (OMS_RETURN_WINDOW_DAYS, see `schedule.return_window_schedule`), so they have a next check."""
    return Q(status=ShipmentStatus.DELIVERED, return_window_until__isnull=False, next_check_at__isnull=False)


def followed_shipments() -> QuerySet[Shipment]:
    """Shipments OMS follows in Omnitron: made by a following client, not stale, and not delivered
    unless in their return window."""
    return Shipment.objects.filter(
        Q(status__in=FOLLOWED_STATUSES) | in_return_window(),
        client__in=followed_client_paths(),
        stale_at__isnull=True,
    )


def due_filter(now: datetime) -> Q:
    """Followed shipments whose check is due; one with no next check time is due at once."""
    return Q(next_check_at__lte=now) | Q(next_check_at__isnull=True)


def shipments_claim(*, now: datetime, limit: int, due_only: bool, after_id: int) -> list[ClaimedShipment]:
    """Claim up to `limit` followed shipments past `after_id` (by id), due ones only if `due_only`."""
    candidates = followed_shipments().filter(id__gt=after_id)
    if due_only:
        candidates = candidates.filter(due_filter(now))
    return _claim(candidates.order_by("id"), limit=limit, now=now)


def fillable_filter(now: datetime) -> Q:
    """Followed shipments a request may carry beyond the due ones: not due, not under a lease, and
    not yet delivered.

    A claim sets `next_check_at` to at most now + lease, so anything due later than that is
    neither due nor claimed by another run. A delivered shipment followed in its return window keeps
    its own slow schedule: a refund is rare, so it never takes a filled place.
    """
    return Q(next_check_at__gt=now + claim_lease()) & ~Q(status=ShipmentStatus.DELIVERED)


def shipments_claim_fill(*, now: datetime, ids: list[int]) -> list[ClaimedShipment]:
    """Claim these not-yet-due shipments to fill a request, skipping any claimed or due meanwhile.

    In the order given (most likely to have moved first).
    """
    if not ids:
        return []
    candidates = followed_shipments().filter(fillable_filter(now), pk__in=ids).order_by("id")
    claimed = _claim(candidates, limit=len(ids), now=now)
    rank = {pk: place for place, pk in enumerate(ids)}
    return sorted(claimed, key=lambda shipment: rank[shipment.pk])


def _claim(candidates: QuerySet[Shipment], *, limit: int, now: datetime) -> list[ClaimedShipment]:
    """Lock up to `limit` of the candidates (skipping locked ones) and lease them, in one transaction."""
    with transaction.atomic():
        # Model rows, not `values_list()`: only then can the lock be limited to the shipments'
        # own table (`FOR UPDATE OF`), leaving the joined package and order rows unlocked.
        rows = (
            lock_rows(candidates, skip_locked=True)
            .annotate(order_omnitron_id=F("package__order__omnitron_id"))
            .only("id", "package_id", "created_at", *CURRENT_FIELDS)[:limit]
        )
        claimed = [
            ClaimedShipment(
                pk=row.pk,
                package_id=row.package_id,
                order_omnitron_id=row.order_omnitron_id,
                created_at=row.created_at,
                status=row.status,
                omnitron_status=row.omnitron_status,
                tracking_number=row.tracking_number,
                unchanged_checks=row.unchanged_checks,
            )
            for row in rows
        ]
        if claimed:
            Shipment.objects.filter(pk__in=[s.pk for s in claimed]).update(next_check_at=now + claim_lease())
    return claimed


def shipments_release_failed(shipments: list[ClaimedShipment], now: datetime) -> None:
    """Shipments whose check failed as a whole are due again a little later, spread out."""
    Shipment.objects.filter(pk__in=[s.pk for s in shipments]).update(
        next_check_at=now + failure_retry() * random.uniform(1.0, 1.5)
    )


def shipments_lock_current(shipments: list[ClaimedShipment]) -> list[ClaimedShipment]:
    """Lock the shipments for this transaction and refresh what decisions depend on.

    What was read at claim time may be behind (another run, a manual `oms
    resolve_shipment_statuses`); decisions are made on the locked, current one. On SQLite the
    transaction already holds the database (BEGIN IMMEDIATE). Shipments gone meanwhile are dropped.
    """
    current = {
        row[0]: row[1:]
        for row in lock_rows(
            Shipment.objects.filter(pk__in=[s.pk for s in shipments]).order_by("pk")
        ).values_list("pk", *CURRENT_FIELDS)
    }
    kept = []
    for shipment in shipments:
        if shipment.pk in current:
            for name, value in zip(CURRENT_FIELDS, current[shipment.pk], strict=True):
                setattr(shipment, name, value)
            kept.append(shipment)
    return kept
