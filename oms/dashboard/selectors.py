"""Reads for the operator pages: one package's page and timeline, and the dashboard's sections.

Every selector runs a fixed number of queries, whatever the number of rows.
"""

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Min, Prefetch, Q, QuerySet

from oms.channels.models import Channel
from oms.core.statuses import PackageStatus, ShipmentStatus, status_name
from oms.omnitron.models import OmnitronReport, OmnitronReportAttempt, ReportKind, ReportState
from oms.packages.models import Package, PackageItem
from oms.packages.selectors import package_commands_by_status
from oms.shipments.models import (
    ObservationOutcome,
    Shipment,
    ShipmentObservation,
    TrackingNumberChange,
)
from oms.shipments.resolution import RESOLUTION_COMMAND, ResolutionHealthReport, resolution_health_get
from oms.transitions.models import RefusedCommand, StateTransitionLog

logger = logging.getLogger(__name__)

# How many rows the dashboard lists under each count (the counts are always complete).
LIST_LIMIT = 20


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


# --------------------------------------------------------------------------------------------
# The package page
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    """One thing that happened to a package, as the timeline shows it."""

    at: datetime
    kind: str  # command | refused | resolution | observation | tracking | report | attempt
    title: str
    summary: str = ""
    actor: str = ""
    details: tuple[tuple[str, str], ...] = ()
    tone: str = "info"  # info | ok | warn | error
    # Orders entries of the same instant: a command before the report it queued, and so on.
    rank: int = 0
    ref: int = 0


@dataclass
class PackagePage:
    package: Package
    shipment: Shipment | None
    items: list[PackageItem]
    commands: list[str]
    tracking_changes: list[TrackingNumberChange] = field(default_factory=list)


def package_page_get(*, package_id: int) -> PackagePage | None:
    """The package with its order, items and shipment, and the commands runnable from its status."""
    package = (
        Package.objects.select_related("order", "order__channel", "order__cargo_company", "stock_location")
        .prefetch_related(
            Prefetch("items", queryset=PackageItem.objects.select_related("order_item").order_by("id"))
        )
        .filter(pk=package_id)
        .first()
    )
    if package is None:
        return None
    shipment = (
        Shipment.objects.select_related("cargo_company")
        .prefetch_related(
            Prefetch("tracking_changes", queryset=TrackingNumberChange.objects.order_by("changed_at", "id"))
        )
        .filter(package_id=package_id)
        .first()
    )
    return PackagePage(
        package=package,
        shipment=shipment,
        items=list(package.items.all()),
        commands=package_commands_by_status().get(package.status, []),
        tracking_changes=list(shipment.tracking_changes.all()) if shipment else [],
    )


# Ranks of entries that share an instant, in the order things happen.
_RANK = {
    "tracking": 0,
    "command": 1,
    "refused": 1,
    "resolution": 1,
    "observation": 2,
    "report": 3,
    "attempt": 4,
}

_OUTCOME_TONE = {
    ReportState.SENT: "ok",
    ReportState.PENDING: "info",
    ReportState.FAILED: "warn",
    ReportState.REJECTED: "error",
    ReportState.GIVEN_UP: "error",
    ReportState.SUPERSEDED: "info",
}


def package_timeline(package_id: int) -> list[TimelineEntry]:
    """Everything that happened to a package, oldest first, in six queries.

    Command runs (who, with what parameters, from which state to which), commands refused (who
    asked, and why not), status changes made by
    shipment status resolution (with the Omnitron observation that caused each), observations
    that were not applied (behind the current status, unknown, order missing), tracking number
    changes, reports to Omnitron and every delivery attempt.
    """
    logs = list(
        StateTransitionLog.objects.filter(package_id=package_id)
        .select_related("actor")
        .order_by("created_at", "id")
    )
    observations = {
        o.pk: o
        for o in ShipmentObservation.objects.filter(shipment__package_id=package_id).order_by(
            "observed_at", "id"
        )
    }
    refusals = list(
        RefusedCommand.objects.filter(package_id=package_id)
        .select_related("actor")
        .order_by("created_at", "id")
    )
    changes = list(
        TrackingNumberChange.objects.filter(shipment__package_id=package_id).order_by("changed_at", "id")
    )
    reports = list(OmnitronReport.objects.filter(package_id=package_id).order_by("created_at", "id"))
    attempts = list(
        OmnitronReportAttempt.objects.filter(report__package_id=package_id).order_by("attempted_at", "id")
    )

    entries: list[TimelineEntry] = []
    named: set[int] = set()
    for log in logs:
        if log.command == RESOLUTION_COMMAND:
            observation = observations.get(log.attributes.get("observation"))
            if observation is not None:
                named.add(observation.pk)
            entries.append(_resolution_entry(log, observation))
        else:
            entries.append(_command_entry(log))
    for observation in observations.values():
        if observation.pk not in named:
            entries.append(_observation_entry(observation))
    entries.extend(_refused_entry(refusal) for refusal in refusals)
    entries.extend(_tracking_entry(change) for change in changes)
    entries.extend(_report_entry(report) for report in reports)
    entries.extend(_attempt_entry(attempt) for attempt in attempts)
    entries.sort(key=lambda entry: (entry.at, entry.rank, entry.ref))
    return entries


def _command_entry(log: StateTransitionLog) -> TimelineEntry:
    attributes = {key: value for key, value in log.attributes.items() if key not in ("transition_id",)}
    slug = attributes.pop("slug", log.command)
    details: list[tuple[str, str]] = []
    if slug != log.command:
        details.append(("slug", slug))
    details.append(("input parameters", _json(log.input_parameters or {})))
    for key, value in attributes.items():
        details.append((key.replace("_", " "), value if isinstance(value, str) else _json(value)))
    return TimelineEntry(
        at=log.created_at,
        kind="command",
        title=log.command,
        summary=(
            f"{status_name(PackageStatus, log.old_state, words=True)} → "
            f"{status_name(PackageStatus, log.new_state, words=True)}"
        ),
        actor=log.actor.get_username() if log.actor else "system",
        details=tuple(details),
        tone="ok",
        rank=_RANK["command"],
        ref=log.pk,
    )


def _refused_entry(refusal: RefusedCommand) -> TimelineEntry:
    details = [
        ("reason", refusal.reason),
        ("package was", status_name(PackageStatus, refusal.package_state, words=True)),
    ]
    if refusal.input_parameters:
        details.append(("input parameters", _json(refusal.input_parameters)))
    return TimelineEntry(
        at=refusal.created_at,
        kind="refused",
        title=refusal.slug or f"transition {refusal.transition_id}",
        summary="refused, nothing changed",
        actor=refusal.actor.get_username() if refusal.actor else "system",
        details=tuple(details),
        tone="error",
        rank=_RANK["refused"],
        ref=refusal.pk,
    )


def _resolution_entry(log: StateTransitionLog, observation: ShipmentObservation | None) -> TimelineEntry:
    details: list[tuple[str, str]] = []
    omnitron_status = log.attributes.get("omnitron_status")
    if omnitron_status is not None:
        details.append(("Omnitron status", str(omnitron_status)))
    if observation is not None:
        details.append(
            (
                f"observation #{observation.pk}",
                f"{observation.get_outcome_display()}; shipment was "
                f"{status_name(ShipmentStatus, observation.shipment_status_before, words=True)}; observed "
                f"{observation.observed_at:%Y-%m-%d %H:%M:%S}",
            )
        )
    elif "observation" in log.attributes:
        details.append(("observation", f"#{log.attributes['observation']} (no longer stored)"))
    tracking = log.attributes.get("tracking_number")
    if tracking:
        details.append(("tracking number", tracking))
    return TimelineEntry(
        at=log.created_at,
        kind="resolution",
        title="Shipment status resolution",
        summary=(
            f"{status_name(PackageStatus, log.old_state, words=True)} → "
            f"{status_name(PackageStatus, log.new_state, words=True)}"
        ),
        actor="OMS, from Omnitron",
        details=tuple(details),
        tone="ok",
        rank=_RANK["resolution"],
        ref=log.pk,
    )


def _observation_entry(observation: ShipmentObservation) -> TimelineEntry:
    seen = "no order" if observation.omnitron_status is None else f"status {observation.omnitron_status}"
    before = status_name(ShipmentStatus, observation.shipment_status_before, words=True)
    details = [("shipment status then", before)]
    if observation.tracking_number:
        details.append(("tracking number", observation.tracking_number))
    applied = observation.outcome == ObservationOutcome.APPLIED
    return TimelineEntry(
        at=observation.observed_at,
        kind="observation",
        title=f"Omnitron: {seen}",
        summary=observation.get_outcome_display(),
        actor="OMS, from Omnitron",
        details=tuple(details),
        tone="ok" if applied else "warn",
        rank=_RANK["observation"],
        ref=observation.pk,
    )


def _tracking_entry(change: TrackingNumberChange) -> TimelineEntry:
    return TimelineEntry(
        at=change.changed_at,
        kind="tracking",
        title="Tracking number changed",
        summary=f"{change.old_tracking_number} → {change.new_tracking_number}",
        actor="OMS, from Omnitron",
        tone="info",
        rank=_RANK["tracking"],
        ref=change.pk,
    )


def _report_entry(report: OmnitronReport) -> TimelineEntry:
    details: list[tuple[str, str]] = []
    if report.kind == ReportKind.ORDER_ITEM_STATUSES:
        rows = report.payload.get("orderitem_set", []) if isinstance(report.payload, dict) else []
        details.append(("order items", ", ".join(f"{row.get('id')} → {row.get('status')}" for row in rows)))
    else:
        details.append(("payload", _json(report.payload)))
    details.append(("attempts", str(report.attempts)))
    if report.sent_at:
        details.append(("sent", f"{report.sent_at:%Y-%m-%d %H:%M:%S}"))
    if report.next_attempt_at and report.state in (ReportState.PENDING, ReportState.FAILED):
        details.append(("next attempt", f"{report.next_attempt_at:%Y-%m-%d %H:%M:%S}"))
    if report.last_error:
        label = "why not sent" if report.state == ReportState.SUPERSEDED else "last error"
        details.append((label, report.last_error))
    return TimelineEntry(
        at=report.created_at,
        kind="report",
        title=f"Report #{report.pk} to Omnitron: {report.get_kind_display().lower()}",
        summary=report.get_state_display(),
        actor="OMS outbox",
        details=tuple(details),
        tone=_OUTCOME_TONE.get(report.state, "info"),
        rank=_RANK["report"],
        ref=report.pk,
    )


def _attempt_entry(attempt: OmnitronReportAttempt) -> TimelineEntry:
    outcome = attempt.get_outcome_display()
    summary = f"{outcome} (HTTP {attempt.status_code})" if attempt.status_code else outcome
    return TimelineEntry(
        at=attempt.attempted_at,
        kind="attempt",
        title=f"Report #{attempt.report_id} delivery attempt",
        summary=summary,
        actor="OMS outbox",
        details=(("detail", attempt.detail),) if attempt.detail else (),
        tone=_OUTCOME_TONE.get(attempt.outcome, "info"),
        rank=_RANK["attempt"],
        ref=attempt.pk,
    )


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


def _package_rows(queryset: QuerySet[Package]) -> QuerySet[Package]:
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
