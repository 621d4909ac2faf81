"""The outbox of reports to Omnitron: enqueue in the caller's transaction, deliver after commit."""

import logging
import random
from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import transaction

from oms.core.db import lock_rows
from oms.core.wakeups import CoalescedWakeup
from oms.omnitron.models import OmnitronReport, OmnitronReportAttempt, ReportKind, ReportState

logger = logging.getLogger(__name__)

# A claimed report is invisible to other workers this long; a worker that dies mid-delivery
# leaves it due again afterwards.
CLAIM_LEASE = timedelta(seconds=120)
# Reports committed within this many seconds of each other share one wake-up of the delivery
# worker (see CoalescedWakeup); the first after a quiet spell wakes it at once.
REPORT_WAKEUP_WINDOW_SECONDS = 0.5
# About a day of retries at the capped backoff before a report is given up.
MAX_ATTEMPTS = 100
BACKOFF_BASE_SECONDS = 5
BACKOFF_MAX_SECONDS = 15 * 60


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


def reports_claim_due(*, now: datetime, limit: int) -> list[OmnitronReport]:
    """Claim up to `limit` due reports: their due time moves past the lease in the same transaction."""
    with transaction.atomic():
        due = lock_rows(
            OmnitronReport.objects.filter(
                state__in=[ReportState.PENDING, ReportState.FAILED], next_attempt_at__lte=now
            ).order_by("next_attempt_at", "id"),
            skip_locked=True,
        )[:limit]
        reports = list(due)
        if reports:
            OmnitronReport.objects.filter(pk__in=[r.pk for r in reports]).update(
                next_attempt_at=now + CLAIM_LEASE
            )
    return reports


def report_deliver(*, report: OmnitronReport, client, now: datetime) -> str:
    """Send one claimed report and record the outcome. Returns the new state."""
    from oms.omnitron.errors import OmnitronError, OmnitronRejected, OmnitronUnavailable

    status_code = None
    detail = ""
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
    fields: dict = {"attempts": attempts, "last_error": detail, "modified_at": now}
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
        OmnitronReport.objects.filter(pk=report.pk).update(**fields)
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
    client_factory: Callable,
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
                state = report_deliver(report=report, client=client, now=now_fn())
                counts[state] = counts.get(state, 0) + 1
    finally:
        if client is not None:
            client.close()
    return counts


def _record_unconfigured(*, report: OmnitronReport, error: Exception, now: datetime) -> str:
    attempts = report.attempts + 1
    state = ReportState.FAILED
    OmnitronReport.objects.filter(pk=report.pk).update(
        attempts=attempts,
        state=state,
        last_error=str(error),
        next_attempt_at=now + backoff_delay(attempts),
    )
    OmnitronReportAttempt.objects.create(
        report_id=report.pk, attempted_at=now, outcome=state, detail=str(error)[:2000]
    )
    return state
