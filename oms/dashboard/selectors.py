"""Reads for the dashboard's sections: packages by status and channel, packages waiting, stale
shipments, resolution health, the report outbox and the set-up check. The package page's reads
are in `oms.dashboard.package_page`.

Every selector runs a fixed number of queries, whatever the number of rows.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.db.models import Count, Min, Q, QuerySet

from oms.channels.models import Channel
from oms.core.statuses import PackageStatus, status_name
from oms.omnitron.models import OmnitronReport, ReportState
from oms.packages.models import Package
from oms.shipments.models import Shipment
from oms.shipments.resolution import ResolutionHealthReport, resolution_health_get

logger = logging.getLogger(__name__)

# How many rows the dashboard lists under each count (the counts are always complete).
LIST_LIMIT = 20


# --------------------------------------------------------------------------------------------
# The dashboard
# --------------------------------------------------------------------------------------------


@dataclass
class StatusChannelTable:
    """Packages counted by channel (rows) and status (columns)."""

    statuses: list[tuple[int, str]]
    rows: list[dict[str, Any]]  # {"channel": Channel-like dict, "cells": [(status, count)], "total"}
    totals: list[tuple[int, int]]
    total: int


def packages_by_status_and_channel() -> StatusChannelTable:
    """Package counts per channel and status; only statuses and channels that have packages."""
    counts = (
        Package.objects.values("order__channel_id", "status")
        .annotate(n=Count("id"))
        .order_by("order__channel_id", "status")
    )
    by_channel: dict[int, dict[int, int]] = {}
    statuses: set[int] = set()
    for row in counts:
        by_channel.setdefault(row["order__channel_id"], {})[row["status"]] = row["n"]
        statuses.add(row["status"])
    channels = {
        channel.pk: channel
        for channel in Channel.objects.filter(pk__in=list(by_channel)).order_by("name", "id")
    }
    ordered_statuses = sorted(statuses)
    rows = []
    for channel_id, channel in channels.items():
        cells = by_channel[channel_id]
        rows.append(
            {
                "channel": channel,
                "cells": [(status, cells.get(status, 0)) for status in ordered_statuses],
                "total": sum(cells.values()),
            }
        )
    totals = [
        (status, sum(cells.get(status, 0) for cells in by_channel.values())) for status in ordered_statuses
    ]
    return StatusChannelTable(
        statuses=[(status, status_name(PackageStatus, status, words=True)) for status in ordered_statuses],
        rows=rows,
        totals=totals,
        total=sum(n for _, n in totals),
    )


@dataclass
class WaitingPackages:
    count: int
    rows: list[Package]  # each with `since` annotated


# Keeps the annotations of the queryset given (`since`), which `QuerySet[Package]` would drop.
_PackageQuerySet = TypeVar("_PackageQuerySet", bound=QuerySet[Package])


def _package_rows(queryset: _PackageQuerySet) -> _PackageQuerySet:
    return queryset.select_related("order", "order__channel", "shipment")


def packages_packed_not_shipped(*, now: datetime, older_than: timedelta) -> WaitingPackages:
    """Packages still packed longer than `older_than` after their packing (oldest first)."""
    packed = (
        Package.objects.filter(status=PackageStatus.PACKED)
        .annotate(
            since=Min(
                "transition_logs__created_at", filter=Q(transition_logs__new_state=PackageStatus.PACKED)
            )
        )
        .filter(since__lte=now - older_than)
    )
    return WaitingPackages(
        count=packed.count(),
        rows=list(_package_rows(packed).order_by("since", "id")[:LIST_LIMIT]),
    )


SHIPPED_STATES = [PackageStatus.SHIPPED, PackageStatus.ATTEMPTED_DELIVERY]


def packages_shipped_not_delivered(*, now: datetime, older_than: timedelta) -> WaitingPackages:
    """Packages shipped (or with a failed delivery attempt) longer than `older_than` ago, oldest
    first; shipped means the first status change to shipped or beyond."""
    shipped = (
        Package.objects.filter(status__in=SHIPPED_STATES)
        .annotate(
            since=Min(
                "transition_logs__created_at",
                filter=Q(
                    transition_logs__new_state__in=[*SHIPPED_STATES, PackageStatus.DELIVERED],
                ),
            )
        )
        .filter(since__lte=now - older_than)
    )
    return WaitingPackages(
        count=shipped.count(),
        rows=list(_package_rows(shipped).order_by("since", "id")[:LIST_LIMIT]),
    )


@dataclass
class StaleShipments:
    count: int
    rows: list[Shipment]


def shipments_stale() -> StaleShipments:
    """Shipments marked stale (not delivered in time, no longer followed), most recent first."""
    stale = Shipment.objects.filter(stale_at__isnull=False)
    return StaleShipments(
        count=stale.count(),
        rows=list(
            stale.select_related("package", "package__order", "package__order__channel").order_by(
                "-stale_at", "-id"
            )[:LIST_LIMIT]
        ),
    )


def resolution_overview(*, now: datetime) -> ResolutionHealthReport:
    """How shipment status resolution is doing, as resolution itself reports it: the health row
    (`recorded` is False until the first cycle wrote it) and the followed shipments due now."""
    return resolution_health_get(now=now)


@dataclass
class Outbox:
    counts: dict[str, int]  # by state, every state present
    backlog: int  # pending + failed
    oldest_due_at: datetime | None
    failures: list[OmnitronReport]  # rejected or given up, most recent first
    failure_count: int


def outbox_overview() -> Outbox:
    """The report outbox: how many reports wait to be sent, and the ones that will never be."""
    by_state = dict(OmnitronReport.objects.values_list("state").annotate(n=Count("id")).order_by())
    counts = {state: by_state.get(state, 0) for state in ReportState.values}
    backlog = OmnitronReport.objects.filter(state__in=[ReportState.PENDING, ReportState.FAILED])
    oldest = backlog.order_by("next_attempt_at").values_list("next_attempt_at", flat=True).first()
    failures = OmnitronReport.objects.filter(state__in=[ReportState.REJECTED, ReportState.GIVEN_UP])
    return Outbox(
        counts=counts,
        backlog=counts[ReportState.PENDING] + counts[ReportState.FAILED],
        oldest_due_at=oldest,
        failures=list(
            failures.select_related("package", "package__order").order_by("-modified_at", "-id")[:LIST_LIMIT]
        ),
        failure_count=counts[ReportState.REJECTED] + counts[ReportState.GIVEN_UP],
    )


@dataclass
class SetupOverview:
    available: bool
    ok: bool
    items: list[Any]
    error: str = ""


def setup_overview() -> SetupOverview:
    """The setup check (`oms.operations.setup_check.setup_check()`), when the project has it."""
    try:
        from oms.operations.setup_check import setup_check
    except ImportError:
        return SetupOverview(available=False, ok=True, items=[])
    try:
        report = setup_check()
    except Exception:
        logger.exception("The setup check failed")
        return SetupOverview(
            available=True, ok=False, items=[], error="The setup check itself failed; see the log."
        )
    return SetupOverview(available=True, ok=bool(report.ok), items=list(report.items))
