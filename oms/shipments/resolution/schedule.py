"""Scheduling the next check of a shipment, after it was checked.

The next check is due sooner when something moved, later while nothing changes (doubling from the
minimum to the maximum interval, with jitter). A shipment not delivered
OMS_TRACKING_STALE_AFTER_DAYS after it was created is marked stale and no longer checked. A
delivered shipment stays followed on the slowest schedule for its return window
(OMS_RETURN_WINDOW_DAYS), so a refund is seen, then leaves the schedule.

Under an Omnitron read budget, requests are filled beyond the due shipments with those most likely
to have moved (`fill_priority`): the chance, on the typical delivery curve, that a shipment of its
status and age moved since it was last checked. Pure arithmetic on hours, so bench/replay.py runs
the very same function on a virtual clock.
"""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings

from oms.core.statuses import ShipmentStatus
from oms.shipments.models import Shipment
from oms.shipments.resolution.claim import ClaimedShipment
from oms.shipments.resolution.result import CycleResult

# The typical curve, in hours after the shipment was created (packed): a parcel ships within this
# window, and is delivered (after an attempt or not) within the next.
SHIP_WINDOW_HOURS = (2.0, 30.0)
DELIVERY_WINDOW_HOURS = (24.0, 72.0)
# Past its window a late shipment is still filled, at this chance per hour since its last check.
LATE_CHANCE_PER_HOUR = 0.05
# Off the curve (an attempt before the delivery window, a parcel shipped early), the chance never
# falls below this per hour since the last check: every followed shipment is filled in time.
FLOOR_CHANCE_PER_HOUR = 0.01
# Breaks ties (and keeps every followed shipment in the running) by time since the last check.
SINCE_CHECK_WEIGHT_PER_HOUR = 0.001

# Shipments checked together are scheduled in this many groups, each with its own jitter.
JITTER_BUCKETS = 4


def next_check_delay(unchanged_checks: int) -> timedelta:
    """Sooner after movement, doubling while nothing changes, within the configured bounds; ±10%."""
    low = settings.OMS_TRACKING_MIN_INTERVAL_SECONDS
    high = max(low, settings.OMS_TRACKING_MAX_INTERVAL_SECONDS)
    seconds = min(high, low * 2 ** min(unchanged_checks, 20))
    return timedelta(seconds=seconds * random.uniform(0.9, 1.1))


def goes_stale(*, shipment: ClaimedShipment, moved: bool, now: datetime) -> bool:
    """Not delivered OMS_TRACKING_STALE_AFTER_DAYS after it was created, and nothing moved now."""
    stale_after = timedelta(days=settings.OMS_TRACKING_STALE_AFTER_DAYS)
    return not moved and now - shipment.created_at > stale_after


def next_check_fields(
    *, shipment: ClaimedShipment, moved: bool, now: datetime, result: CycleResult
) -> dict[str, Any]:
    """The schedule fields of one checked shipment: when it is looked at next, or that it is stale."""
    unchanged = 0 if moved else shipment.unchanged_checks + 1
    if goes_stale(shipment=shipment, moved=moved, now=now):
        result.stale += 1
        return {"unchanged_checks": unchanged, "stale_at": now, "next_check_at": None}
    return {
        "unchanged_checks": unchanged,
        "stale_at": None,
        "next_check_at": now + next_check_delay(unchanged),
    }


@dataclass(frozen=True)
class Checked:
    """A shipment checked in the set-wise path, with the Omnitron status seen and whether it moved."""

    shipment: ClaimedShipment
    omnitron_status: int
    moved: bool


def shipments_schedule(*, checked: list[Checked], now: datetime, result: CycleResult) -> None:
    """Record the check and schedule the next one for many shipments, in a few statements.

    Shipments alike (same Omnitron status, same count of unchanged checks, stale or not) are
    updated together, split at random into JITTER_BUCKETS groups, each with its own jittered
    delay, so their next checks still spread out.
    """
    alike: dict[tuple[int, int, bool], list[int]] = {}
    for one in checked:
        unchanged = 0 if one.moved else one.shipment.unchanged_checks + 1
        stale = goes_stale(shipment=one.shipment, moved=one.moved, now=now)
        alike.setdefault((one.omnitron_status, unchanged, stale), []).append(one.shipment.pk)
    for (omnitron_status, unchanged, stale), ids in alike.items():
        fields = {"last_checked_at": now, "omnitron_status": omnitron_status, "unchanged_checks": unchanged}
        if stale:
            result.stale += len(ids)
            Shipment.objects.filter(pk__in=ids).update(**fields, stale_at=now, next_check_at=None)
            continue
        random.shuffle(ids)
        for bucket in range(min(JITTER_BUCKETS, len(ids))):
            Shipment.objects.filter(pk__in=ids[bucket::JITTER_BUCKETS]).update(
                **fields, stale_at=None, next_check_at=now + next_check_delay(unchanged)
            )


def return_window_schedule(*, shipment_ids: list[int], now: datetime) -> None:
    """After a check: open the return window of the shipments just delivered, check the others in
    theirs on the slowest schedule, and let those whose window closed leave the schedule."""
    delivered = Shipment.objects.filter(pk__in=shipment_ids, status=ShipmentStatus.DELIVERED)
    slow = now + timedelta(seconds=settings.OMS_TRACKING_MAX_INTERVAL_SECONDS)
    delivered.filter(return_window_until__isnull=True).update(
        return_window_until=now + timedelta(days=settings.OMS_RETURN_WINDOW_DAYS)
    )
    delivered.filter(return_window_until__gt=now).update(next_check_at=slow, stale_at=None)
    delivered.filter(return_window_until__lte=now).update(next_check_at=None)


def _window_share(hours: float, window: tuple[float, float]) -> float:
    """The share of the typical curve's window passed at `hours` (uniform within the window)."""
    low, high = window
    return min(max((hours - low) / (high - low), 0.0), 1.0)


def movement_chance(*, status: int, age_hours: float, since_check_hours: float) -> float:
    """The chance, on the typical curve, that the shipment moved in the `since_check_hours` up to now.

    `age_hours`: since the shipment was created; `since_check_hours`: since its last check (its age
    if never checked). Created shipments are waiting to ship, the others to be delivered.
    """
    window = SHIP_WINDOW_HOURS if status == ShipmentStatus.CREATED else DELIVERY_WINDOW_HOURS
    before = _window_share(max(age_hours - since_check_hours, 0.0), window)
    floor = min(1.0, FLOOR_CHANCE_PER_HOUR * since_check_hours)
    if before >= 1.0:  # late: past the whole window already at the last check
        return max(floor, min(1.0, LATE_CHANCE_PER_HOUR * since_check_hours))
    return max(floor, (_window_share(age_hours, window) - before) / (1.0 - before))


def fill_priority(*, status: int, age_hours: float, since_check_hours: float) -> float:
    """How much a request gains by carrying this (not yet due) shipment: higher is better, 0 none."""
    chance = movement_chance(status=status, age_hours=age_hours, since_check_hours=since_check_hours)
    if chance <= 0.0:
        return 0.0
    return chance + SINCE_CHECK_WEIGHT_PER_HOUR * since_check_hours
