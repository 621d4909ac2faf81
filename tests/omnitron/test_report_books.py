"""Reports are safe to repeat and their books are honest, under the sandbox's faults.

Each test delivers a "preparing" report (items to 450) through the real outbox and client against
the sandbox, with drops, broken bodies, timeouts or a worker killed after sending. The sandbox's
request log is the wire: no bulk update reaches Omnitron after its items moved on (nothing is set
backwards), a report is resent only after a read showed it had not arrived, and every update the
client sent has its row in the report's attempt log.
"""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from oms.omnitron.models import OmnitronReport, OmnitronReportAttempt, ReportState
from oms.omnitron.report_sending import NO_ANSWER
from oms.omnitron.reports import claim_lease, reports_claim_due, reports_deliver_due

BULK = "/api/i1/order_items/bulk_status_update/"
pytestmark = pytest.mark.django_db


class WorkerKilled(BaseException):
    """Stands for SIGKILL: nothing after it runs (it is not an Exception, so nothing catches it)."""


@pytest.fixture
def order(sandbox):
    return sandbox.create_order(item_count=2)


@pytest.fixture
def report(order) -> OmnitronReport:
    items = [item["pk"] for item in order["orderitem_set"]]
    return OmnitronReport.objects.create(
        kind="order_item_statuses",
        payload={
            "orderitem_set": [{"id": pk, "status": "450"} for pk in items],
            "order_ids": [order["pk"]],
        },
        next_attempt_at=timezone.now(),
    )


def _deliver(factory, now: datetime) -> dict[str, int]:
    return reports_deliver_due(now_fn=lambda: now, client_factory=factory)


def _patches(sandbox) -> list[dict]:
    return [entry for entry in sandbox.requests(BULK) if entry["method"] == "PATCH"]


def _item_statuses(sandbox, order) -> set[str]:
    return {item["status"] for item in sandbox.order(order["pk"])["orderitem_set"]}


def _send_rows(report) -> list[OmnitronReportAttempt]:
    """The rows of the attempts the client sent (not the reads that found nothing to send)."""
    return list(report.attempt_log.filter(detail__startswith="Attempt ").order_by("id"))


def _wait_for(condition, timeout: float = 10.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.02)


def test_a_dropped_send_is_read_back_then_sent_once_more(sandbox, make_client, order, report):
    sandbox.set_faults(drop_next=1, paths=[BULK])

    assert _deliver(make_client, timezone.now()) == {"sent": 1}

    report.refresh_from_db()
    assert report.state == ReportState.SENT
    assert [entry["fault"] for entry in _patches(sandbox)] == ["drop", None]
    rows = _send_rows(report)
    assert [(row.outcome, row.status_code) for row in rows] == [("failed", None), ("sent", 200)]
    assert "Outcome unknown" in rows[0].detail
    assert _item_statuses(sandbox, order) == {"450"}
    # The resend came after a read that showed the items had not moved.
    paths = [(entry["method"], entry["path"]) for entry in sandbox.requests() if entry["method"] != "POST"]
    assert paths == [("GET", "/api/v1/orders/"), ("PATCH", BULK), ("GET", "/api/v1/orders/"), ("PATCH", BULK)]


def test_a_broken_answer_is_resolved_by_reading_and_not_sent_again(sandbox, make_client, order, report):
    sandbox.set_faults(malformed_next=1, paths=[BULK])

    assert _deliver(make_client, timezone.now()) == {"sent": 1}

    report.refresh_from_db()
    assert report.state == ReportState.SENT
    assert [entry["fault"] for entry in _patches(sandbox)] == ["malformed"]
    rows = list(report.attempt_log.order_by("id"))
    assert [row.outcome for row in rows] == ["failed", "sent"]
    assert "already has every item at the reported status" in rows[1].detail
    assert _item_statuses(sandbox, order) == {"450"}


def test_timed_out_sends_never_set_back_items_that_moved_on(sandbox, make_client, order, report):
    sandbox.set_faults(latency_ms=600, paths=[BULK])
    now = timezone.now()

    # Every send times out (Omnitron applies each one late): the outcome stays unknown.
    assert _deliver(lambda: make_client(read_timeout=0.2), now) == {"failed": 1}
    report.refresh_from_db()
    assert report.state == ReportState.FAILED
    _wait_for(lambda: len(_patches(sandbox)) == 3)
    # The marketplace's carrier picks the parcel up: Omnitron moves the items on.
    sandbox.set_status(order["pk"], 500)
    last_before_the_move = max(entry["id"] for entry in sandbox.requests())
    sandbox.clear_faults()

    assert _deliver(make_client, report.next_attempt_at + timedelta(seconds=1)) == {"superseded": 1}

    report.refresh_from_db()
    assert report.state == ReportState.SUPERSEDED
    assert "at or past the reported status" in report.last_error
    assert _item_statuses(sandbox, order) == {"500"}
    assert all(entry["id"] <= last_before_the_move for entry in _patches(sandbox))
    rows = _send_rows(report)
    assert len(rows) == len(_patches(sandbox)) == 3
    assert all(row.outcome == "failed" and "timed out" in row.detail for row in rows)


@pytest.mark.parametrize("moved_on", [False, True], ids=["items still preparing", "items shipped"])
def test_a_report_claimed_sent_and_never_marked_is_resolved_not_resent(
    sandbox, make_client, order, report, moved_on
):
    now = timezone.now()

    class KilledAfterSending:
        """The worker's real client; the worker dies right after Omnitron answered the update."""

        def __init__(self) -> None:
            self.client = make_client()

        def __getattr__(self, name):
            return getattr(self.client, name)

        def order_items_status_update(self, statuses, *, on_attempt=None):
            def started_only(attempt):
                if not attempt.finished:
                    on_attempt(attempt)

            self.client.order_items_status_update(statuses, on_attempt=started_only)
            raise WorkerKilled

    with pytest.raises(WorkerKilled):
        _deliver(KilledAfterSending, now)
    report.refresh_from_db()
    assert report.state == ReportState.PENDING and report.next_attempt_at > now  # claimed, not marked
    assert reports_claim_due(now=now, limit=10) == []  # the lease holds it
    if moved_on:
        sandbox.set_status(order["pk"], 500)

    counts = _deliver(make_client, now + claim_lease() + timedelta(seconds=1))

    report.refresh_from_db()
    assert len(_patches(sandbox)) == 1  # the killed worker's send only
    if moved_on:
        assert counts == {"superseded": 1} and report.state == ReportState.SUPERSEDED
        assert _item_statuses(sandbox, order) == {"500"}
    else:
        assert counts == {"sent": 1} and report.state == ReportState.SENT
        assert _item_statuses(sandbox, order) == {"450"}
    rows = list(report.attempt_log.order_by("id"))
    assert NO_ANSWER in rows[0].detail
    assert len(rows) == 2


def test_a_429_before_the_send_is_retried_and_each_attempt_is_in_the_books(sandbox, make_client, report):
    sandbox.set_faults(rate_limit_next=2, paths=[BULK])

    assert _deliver(make_client, timezone.now()) == {"sent": 1}

    report.refresh_from_db()
    rows = _send_rows(report)
    assert [(row.outcome, row.status_code) for row in rows] == [
        ("failed", 429),
        ("failed", 429),
        ("sent", 200),
    ]
    assert len(_patches(sandbox)) == 3
