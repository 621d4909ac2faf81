"""The Omnitron read budget: at most OMS_OMNITRON_READS_PER_MINUTE `id__in` requests a minute.

Shared by every worker through two columns of the `ResolutionHealth` row: the minute being counted
and the reads taken in it. A read is taken with one conditional UPDATE (a new minute starts the
count at 1; the current one adds 1 while below the cap), so two workers can never both take the
last read: PostgreSQL re-checks the condition on the locked row, SQLite has one writer at a time.
A read taken and not used (nothing was left to check) is given back.

`fill_candidates` picks the not-yet-due shipments that fill a request up to the batch size.
"""

import heapq
from collections.abc import Iterator
from datetime import datetime

from django.conf import settings
from django.db.models import Case, F, Q, Value, When

from oms.shipments.models import ResolutionHealth
from oms.shipments.resolution.claim import fillable_filter, followed_shipments
from oms.shipments.resolution.health import health_row
from oms.shipments.resolution.schedule import fill_priority


def reads_per_minute() -> int:
    """The cap; 0 means none (and no filling: batches hold due shipments only)."""
    return max(int(getattr(settings, "OMS_OMNITRON_READS_PER_MINUTE", 0) or 0), 0)


def read_window(now: datetime) -> datetime:
    """The minute `now` falls in."""
    return now.replace(second=0, microsecond=0)


def read_take(*, now: datetime) -> bool:
    """Take one read from this minute's budget; False when the minute's reads are spent.

    Always True without a cap. Runs in autocommit (never inside the cycle's write transactions),
    so the count is visible to every other worker at once.
    """
    cap = reads_per_minute()
    if cap <= 0:
        return True
    window = read_window(now)
    health_row()  # the row exists before the first conditional update
    taken = (
        ResolutionHealth.objects.filter(pk=1)
        .filter(~Q(reads_window_start=window) | Q(reads_in_window__lt=cap))
        .update(
            reads_in_window=Case(
                When(reads_window_start=window, then=F("reads_in_window") + 1),
                default=Value(1),
            ),
            reads_window_start=window,
        )
    )
    return taken == 1


def read_give_back(*, now: datetime) -> None:
    """Return a read taken in this minute and not sent."""
    if reads_per_minute() <= 0:
        return
    ResolutionHealth.objects.filter(pk=1, reads_window_start=read_window(now), reads_in_window__gt=0).update(
        reads_in_window=F("reads_in_window") - 1
    )


def reads_taken(*, now: datetime) -> int:
    """Reads taken so far in the minute `now` falls in."""
    row = ResolutionHealth.objects.filter(pk=1).values("reads_window_start", "reads_in_window").first()
    if not row or row["reads_window_start"] != read_window(now):
        return 0
    return row["reads_in_window"]


def fill_candidates(*, now: datetime, limit: int) -> list[int]:
    """The ids of up to `limit` fillable shipments most likely to have moved, best first.

    Streams the fillable shipments' (id, status, created_at, last_checked_at) and keeps the best
    `limit` in a heap: memory bounded by `limit`, not by the number followed. A shipment checked
    this very moment (no time since its last check) has nothing to gain and is left out.
    """
    if limit <= 0:
        return []
    rows = (
        followed_shipments()
        .filter(fillable_filter(now))
        .values_list("id", "status", "created_at", "last_checked_at")
        .iterator(chunk_size=5000)
    )

    def scored() -> Iterator[tuple[float, int]]:
        for pk, status, created_at, last_checked_at in rows:
            age = (now - created_at).total_seconds() / 3600
            since = (now - (last_checked_at or created_at)).total_seconds() / 3600
            priority = fill_priority(status=status, age_hours=age, since_check_hours=since)
            if priority > 0.0:
                yield priority, pk

    return [pk for _, pk in heapq.nlargest(limit, scored())]
