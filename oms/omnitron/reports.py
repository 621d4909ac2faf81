"""The outbox of reports to Omnitron: enqueue in the caller's transaction, deliver after commit."""

import logging
import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction

from oms.core.db import lock_rows
from oms.core.wakeups import CoalescedWakeup
from oms.omnitron.models import OmnitronReport, OmnitronReportAttempt, ReportKind, ReportState
from oms.omnitron.ports import OmnitronPort, OmnitronPortFactory

logger = logging.getLogger(__name__)

# Reports committed within this many seconds of each other share one wake-up of the delivery
# worker (see CoalescedWakeup); the first after a quiet spell wakes it at once.
REPORT_WAKEUP_WINDOW_SECONDS = 0.5
# About a day of retries at the capped backoff before a report is given up.
MAX_ATTEMPTS = 100
BACKOFF_BASE_SECONDS = 5
BACKOFF_MAX_SECONDS = 15 * 60
# States a report may still be sent from; the others are final, and no late writer changes them.
OPEN_STATES = (ReportState.PENDING, ReportState.FAILED)
# The count `reports_deliver_due` gives for claimed reports it did not send because their claim was lost.
CLAIM_LOST = "claim_lost"


def report_order_item_statuses_enqueue(
    *, package_id: int, statuses: dict[int, int], now: datetime
) -> OmnitronReport:
    """Queue a bulk item status update to Omnitron; it is sent once the transaction commits."""
    payload = {
        "orderitem_set": [
            {"id": item_id, "status": str(status)} for item_id, status in sorted(statuses.items())
        ]
    }
    report = OmnitronReport.objects.create(
        package_id=package_id,
        kind=ReportKind.ORDER_ITEM_STATUSES,
        payload=payload,
        next_attempt_at=now,
    )
    transaction.on_commit(_wake_delivery)
    return report


def _wakeup_send(countdown: float) -> None:
    from oms.omnitron.tasks import deliver_reports

    if countdown:
        deliver_reports.apply_async(countdown=countdown)
    else:
        deliver_reports.delay()


def _tasks_run_in_place() -> bool:
    from oms.celery import app

    return bool(app.conf.task_always_eager)


_delivery_wakeup = CoalescedWakeup(
    _wakeup_send, window=REPORT_WAKEUP_WINDOW_SECONDS, eager=_tasks_run_in_place
)


def _wake_delivery() -> None:
    try:
        _delivery_wakeup()
    except Exception:
        # The report is a due row: the periodic delivery takes it even if this wake-up is lost.
        logger.warning("Could not wake report delivery; the periodic run will send it", exc_info=True)


def backoff_delay(attempts: int) -> timedelta:
    """Exponential backoff with jitter for the n-th failed attempt (1-based)."""
    ceiling = min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0))
    return timedelta(seconds=ceiling / 2 + random.uniform(0, ceiling / 2))


def claim_lease() -> timedelta:
    """How long a claimed report is invisible to other workers; a worker that dies mid-delivery
    leaves it due again afterwards (OMS_REPORT_CLAIM_LEASE_SECONDS)."""
    return timedelta(seconds=settings.OMS_REPORT_CLAIM_LEASE_SECONDS)


def reports_claim_due(*, now: datetime, limit: int) -> list[OmnitronReport]:
    """Claim up to `limit` due reports: their due time moves past the lease in the same transaction."""
    with transaction.atomic():
        due = lock_rows(
            OmnitronReport.objects.filter(state__in=OPEN_STATES, next_attempt_at__lte=now).order_by(
                "next_attempt_at", "id"
            ),
            skip_locked=True,
        )[:limit]
        reports = list(due)
        if reports:
            until = now + claim_lease()
            OmnitronReport.objects.filter(pk__in=[r.pk for r in reports]).update(next_attempt_at=until)
            for report in reports:
                report.next_attempt_at = until
    return reports


def report_claim_renew(*, report: OmnitronReport, now: datetime) -> bool:
    """Renew the claim on one report just before it is sent; False when the claim was lost.

    A batch is sent one report after another, so the last ones of a slow batch could outlive the
    lease taken when the batch was claimed, and another worker could claim and send them too. The
    renewal is a compare-and-set on the due time this worker wrote: if another worker has claimed
    the report since (or it is no longer open), nothing changes and this worker leaves it alone.
    """
    until = now + claim_lease()
    renewed = OmnitronReport.objects.filter(
        pk=report.pk, state__in=OPEN_STATES, next_attempt_at=report.next_attempt_at
    ).update(next_attempt_at=until)
    if renewed:
        report.next_attempt_at = until
    return bool(renewed)


# Predicates that say why a report must no longer be sent ("" when it still must). Apps that know
# what a report's news is about plug theirs in from their AppConfig.ready(): the packages app says
# when a "preparing" report has been overtaken by its package shipping.
SupersededCheck = Callable[[OmnitronReport], str]
_superseded_checks: list[SupersededCheck] = []


def superseded_check_register(check: SupersededCheck) -> None:
    """Add a predicate `report_superseded_reason` asks (registering the same one twice adds it once)."""
    if check not in _superseded_checks:
        _superseded_checks.append(check)


def report_superseded_reason(report: OmnitronReport) -> str:
    """Why a report must no longer be sent ("" when it still must): the first registered reason."""
    for check in _superseded_checks:
        reason = check(report)
        if reason:
            return reason
    return ""


def _record_superseded(*, report: OmnitronReport, reason: str, now: datetime) -> str:
    OmnitronReport.objects.filter(pk=report.pk, state__in=OPEN_STATES).update(
        state=ReportState.SUPERSEDED, last_error=reason, next_attempt_at=None, modified_at=now
    )
    logger.info("Report %s not sent: %s", report.pk, reason)
    return ReportState.SUPERSEDED


def report_deliver(*, report: OmnitronReport, client: OmnitronPort, now: datetime) -> str:
    """Send one claimed report and record the outcome. Returns the new state.

    A report whose news is out of date is not sent: it becomes `superseded` (see
    `report_superseded_reason`).
    """
    from oms.omnitron.errors import OmnitronError, OmnitronRejected, OmnitronUnavailable

    reason = report_superseded_reason(report)
    if reason:
        return _record_superseded(report=report, reason=reason, now=now)

    status_code: int | None = None
    detail = ""
    response: Any
    try:
        if report.kind == ReportKind.ORDER_ITEM_STATUSES:
            statuses = {int(row["id"]): int(row["status"]) for row in report.payload["orderitem_set"]}
            answer = client.order_items_status_update(statuses)
            response = {"orderitem_set": [{"id": k, "status": str(v)} for k, v in answer.items()]}
        else:  # pragma: no cover - the kinds are a closed list
            raise ValueError(f"Unknown report kind {report.kind}")
        state = ReportState.SENT
        status_code = 200
    except OmnitronRejected as exc:
        state = ReportState.REJECTED
        status_code = exc.status_code
        detail = str(exc)
        response = exc.body if isinstance(exc.body, dict | list) else {"body": str(exc.body)}
    except OmnitronUnavailable as exc:
        state = ReportState.FAILED
        status_code = getattr(exc, "status_code", None)
        detail = str(exc)
        response = None
    except OmnitronError as exc:
        state = ReportState.FAILED
        detail = str(exc)
        response = None

    attempts = report.attempts + 1
    fields: dict[str, Any] = {"attempts": attempts, "last_error": detail, "modified_at": now}
    if state == ReportState.SENT:
        fields.update(state=state, sent_at=now, response=response, next_attempt_at=None)
    elif state == ReportState.REJECTED:
        fields.update(state=state, response=response, next_attempt_at=None)
        logger.error("Omnitron rejected report %s: %s", report.pk, detail)
    elif attempts >= MAX_ATTEMPTS:
        state = ReportState.GIVEN_UP
        fields.update(state=state, next_attempt_at=None)
        logger.error("Gave up report %s after %s attempts: %s", report.pk, attempts, detail)
    else:
        fields.update(state=state, next_attempt_at=now + backoff_delay(attempts))
        logger.warning("Report %s not delivered (attempt %s): %s", report.pk, attempts, detail)
    with transaction.atomic():
        # Only while still open: a worker whose lease ran out while it waited on Omnitron must not
        # overwrite what another worker recorded meanwhile (sent, rejected, superseded ...).
        OmnitronReport.objects.filter(pk=report.pk, state__in=OPEN_STATES).update(**fields)
        OmnitronReportAttempt.objects.create(
            report_id=report.pk,
            attempted_at=now,
            outcome=state,
            status_code=status_code,
            detail=detail[:2000],
        )
    return state


def reports_deliver_due(
    *,
    now_fn: Callable[[], datetime],
    client_factory: OmnitronPortFactory,
    batch_size: int = 50,
    max_batches: int = 20,
) -> dict[str, int]:
    """Deliver due reports in claimed batches until none is due. Returns counts by outcome."""
    from oms.omnitron.errors import OmnitronError

    counts: dict[str, int] = {}
    client = None
    try:
        for _ in range(max_batches):
            reports = reports_claim_due(now=now_fn(), limit=batch_size)
            if not reports:
                break
            if client is None:
                try:
                    client = client_factory()
                except OmnitronError as exc:
                    for report in reports:
                        state = _record_unconfigured(report=report, error=exc, now=now_fn())
                        counts[state] = counts.get(state, 0) + 1
                    break
            for report in reports:
                now = now_fn()
                if not report_claim_renew(report=report, now=now):
                    logger.info("Report %s left alone: another worker claimed it since", report.pk)
                    counts[CLAIM_LOST] = counts.get(CLAIM_LOST, 0) + 1
                    continue
                state = report_deliver(report=report, client=client, now=now)
                counts[state] = counts.get(state, 0) + 1
    finally:
        if client is not None:
            client.close()
    return counts


def _record_unconfigured(*, report: OmnitronReport, error: Exception, now: datetime) -> str:
    reason = report_superseded_reason(report)
    if reason:
        return _record_superseded(report=report, reason=reason, now=now)
    attempts = report.attempts + 1
    state = ReportState.FAILED
    OmnitronReport.objects.filter(pk=report.pk, state__in=OPEN_STATES).update(
        attempts=attempts,
        state=state,
        last_error=str(error),
        next_attempt_at=now + backoff_delay(attempts),
    )
    OmnitronReportAttempt.objects.create(
        report_id=report.pk, attempted_at=now, outcome=state, detail=str(error)[:2000]
    )
    return state
