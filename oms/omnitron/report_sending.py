"""Sending one item status report so that a repeat is safe, with every attempt in the books.

Omnitron's bulk status update sets statuses unconditionally, so a report sent twice, or late, could
set an item back (a "preparing" arriving after the item shipped). Before every send the items'
statuses are read from Omnitron (their orders, by id) and items already at or past the reported
status (oms.core.statuses.ORDER_STATUS_RANK) are left out; a report with nothing left to send is
done. A send whose outcome is unknown (a read timeout, a dropped connection, a 5xx, a broken body)
is never repeated blindly: the next round reads again first. So delivery is at least once and never
backwards, up to the moments between a read and the send that follows it.

Every attempt the client makes is written to the attempt log when it is about to be sent, and
completed when it ends: an attempt cut short by a killed worker stays in the books as "no answer
recorded".
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from oms.core.statuses import order_status_reached
from oms.omnitron.errors import (
    OmnitronError,
    OmnitronOutcomeUnknown,
    OmnitronRejected,
    OmnitronUnavailable,
)
from oms.omnitron.http import CallAttempt
from oms.omnitron.models import OmnitronReportAttempt, ReportState
from oms.omnitron.ports import OmnitronPort

# Reads and sends tried within one delivery when outcomes stay unknown; then the report waits for
# its next delivery (which reads again first).
SEND_ROUNDS = 3
NO_ANSWER = "Sent; no answer recorded (the sender stopped before the attempt ended)."
_OUTCOME_STATES = {
    "answered": ReportState.SENT,
    "refused": ReportState.REJECTED,
    "failed": ReportState.FAILED,
}


@dataclass
class SendOutcome:
    """How a delivery ended: the report's new state and what to record on it."""

    state: str
    status_code: int | None = None
    detail: str = ""
    response: Any = None
    logged: bool = False  # the attempt log already has this delivery's rows
    skipped: dict[int, int] = field(default_factory=dict)  # items left out: Omnitron's status


class AttemptBook:
    """The client's `on_attempt` callback for one report: one log row per attempt, written at once."""

    def __init__(self, *, report_id: int, now: datetime) -> None:
        self.report_id = report_id
        self.now = now
        self.rows = 0
        self._open: int | None = None

    def __call__(self, attempt: CallAttempt) -> None:
        if not attempt.finished:
            row = OmnitronReportAttempt.objects.create(
                report_id=self.report_id,
                attempted_at=self.now,
                outcome=ReportState.FAILED,
                detail=f"Attempt {attempt.number}: {NO_ANSWER}",
            )
            self._open = row.pk
            self.rows += 1
            return
        detail = attempt.detail
        if attempt.ambiguous:
            detail = f"Outcome unknown (Omnitron may have applied it): {detail}"
        if self._open is None:  # its start was not seen: nothing to complete
            return
        OmnitronReportAttempt.objects.filter(pk=self._open).update(
            outcome=_OUTCOME_STATES[attempt.outcome],
            status_code=attempt.status_code,
            detail=f"Attempt {attempt.number}: {detail}"[:2000] if detail else f"Attempt {attempt.number}",
        )
        self._open = None

    def note(self, *, outcome: str, detail: str, status_code: int | None = None) -> None:
        """A row for a delivery step that is not an HTTP attempt of the write (a read, a skip)."""
        OmnitronReportAttempt.objects.create(
            report_id=self.report_id,
            attempted_at=self.now,
            outcome=outcome,
            status_code=status_code,
            detail=detail[:2000],
        )
        self.rows += 1


def omnitron_item_statuses(*, client: OmnitronPort, order_ids: list[int]) -> dict[int, int]:
    """The current status in Omnitron of every item of these orders, by item pk."""
    statuses: dict[int, int] = {}
    for order in client.orders_get_many(order_ids):
        for item in order.items:
            statuses[item.pk] = item.status
    return statuses


def item_statuses_send(
    *,
    report_id: int,
    statuses: dict[int, int],
    order_ids: list[int],
    client: OmnitronPort,
    now: datetime,
) -> SendOutcome:
    """Send the statuses items have not reached yet in Omnitron; read first, never send backwards.

    Without `order_ids` (a report written before they were kept) nothing can be read: the statuses
    are sent as they are.
    """
    book = AttemptBook(report_id=report_id, now=now)
    last_unknown = ""
    for _ in range(SEND_ROUNDS):
        skipped: dict[int, int] = {}
        to_send = dict(statuses)
        if order_ids:
            try:
                current = omnitron_item_statuses(client=client, order_ids=order_ids)
            except OmnitronError as exc:
                detail = f"Reading the items' statuses before sending failed: {exc}"
                book.note(outcome=ReportState.FAILED, detail=detail, status_code=exc.status_code)
                return SendOutcome(ReportState.FAILED, exc.status_code, detail, None, True)
            skipped = {
                pk: current[pk]
                for pk, status in statuses.items()
                if pk in current and order_status_reached(current[pk], status)
            }
            to_send = {pk: status for pk, status in statuses.items() if pk not in skipped}
        if not to_send:
            return _nothing_left(book=book, statuses=statuses, skipped=skipped)
        try:
            answer = client.order_items_status_update(to_send, on_attempt=book)
        except OmnitronOutcomeUnknown as exc:
            last_unknown = str(exc)
            continue
        except OmnitronRejected as exc:
            body = exc.body if isinstance(exc.body, dict | list) else {"body": str(exc.body)}
            return SendOutcome(ReportState.REJECTED, exc.status_code, str(exc), body, book.rows > 0)
        except OmnitronUnavailable as exc:
            return SendOutcome(ReportState.FAILED, exc.status_code, str(exc), None, book.rows > 0)
        except OmnitronError as exc:
            return SendOutcome(ReportState.FAILED, exc.status_code, str(exc), None, book.rows > 0)
        response = {"orderitem_set": [{"id": k, "status": str(v)} for k, v in answer.items()]}
        if skipped:
            response["skipped"] = [{"id": k, "status": str(v)} for k, v in sorted(skipped.items())]
        return SendOutcome(ReportState.SENT, 200, "", response, book.rows > 0, skipped)
    detail = f"The outcome stayed unknown after {SEND_ROUNDS} rounds; read again next time: {last_unknown}"
    return SendOutcome(ReportState.FAILED, None, detail, None, book.rows > 0)


def _nothing_left(*, book: AttemptBook, statuses: dict[int, int], skipped: dict[int, int]) -> SendOutcome:
    """Every item is at or past its reported status in Omnitron: nothing is sent."""
    exact = all(skipped[pk] == status for pk, status in statuses.items())
    listed = ", ".join(f"{pk}: {status}" for pk, status in sorted(skipped.items()))
    response = {"skipped": [{"id": k, "status": str(v)} for k, v in sorted(skipped.items())]}
    if exact:
        detail = f"Omnitron already has every item at the reported status ({listed}); nothing sent."
        book.note(outcome=ReportState.SENT, detail=detail)
        return SendOutcome(ReportState.SENT, None, "", response, True, skipped)
    detail = f"Omnitron has every item at or past the reported status ({listed}); nothing sent."
    book.note(outcome=ReportState.SUPERSEDED, detail=detail)
    return SendOutcome(ReportState.SUPERSEDED, None, detail, response, True, skipped)
