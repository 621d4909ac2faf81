"""Deadlines: a call ends by its deadline whatever Omnitron does; a write is never repeated blindly."""

import time

import pytest

from oms.core.budget import request_budget
from oms.omnitron.errors import OmnitronOutcomeUnknown, OmnitronUnavailable

ORDERS = "/api/v1/orders/"
BULK = "/api/i1/order_items/bulk_status_update/"


def _wait_for_the_late_answer(sandbox, path: str = ORDERS) -> None:
    """The sandbox logs a delayed request once it answers: let it land here, not in the next test."""
    deadline = time.monotonic() + 10
    while not sandbox.requests(path) and time.monotonic() < deadline:
        time.sleep(0.05)


@pytest.fixture
def order(sandbox):
    return sandbox.create_order(item_count=1)


def test_a_slow_omnitron_is_given_up_at_the_clients_deadline(sandbox, make_client, order):
    sandbox.set_faults(latency_ms=3000, paths=[ORDERS])
    client = make_client(read_timeout=15, deadline=0.5)

    started = time.monotonic()
    with pytest.raises(OmnitronUnavailable, match="deadline"):
        client.order_get(order["pk"])

    assert time.monotonic() - started < 2.5  # not the 3 s Omnitron takes, nor 4 x 15 s
    assert sandbox.requests(ORDERS) == []  # Omnitron has not even answered yet
    _wait_for_the_late_answer(sandbox)


def test_the_request_budget_ends_a_call_that_has_no_deadline_of_its_own(sandbox, make_client, order):
    sandbox.set_faults(latency_ms=3000, paths=[ORDERS])
    client = make_client(read_timeout=15)

    started = time.monotonic()
    with request_budget(0.5), pytest.raises(OmnitronUnavailable):
        client.order_get(order["pk"])

    assert time.monotonic() - started < 2.5
    _wait_for_the_late_answer(sandbox)


def test_a_retry_after_past_the_deadline_ends_the_call_at_once(sandbox, make_client, sleeps, order):
    sandbox.set_faults(rate_limit_next=1, retry_after=5, paths=[ORDERS])
    client = make_client(deadline=1, backoff_max=10)

    with pytest.raises(OmnitronUnavailable) as raised:
        client.order_get(order["pk"])

    assert sleeps == []
    assert raised.value.retry_after == 5
    assert len(sandbox.requests(ORDERS)) == 1


def test_within_the_deadline_failures_are_still_retried(sandbox, make_client, sleeps, order):
    sandbox.set_faults(fail_next=2, paths=[ORDERS])

    assert make_client(deadline=5).order_get(order["pk"]).pk == order["pk"]
    assert len(sleeps) == 2


@pytest.mark.parametrize(
    "fault", [{"drop_next": 1}, {"malformed_next": 1}, {"fail_next": 1}], ids=["drop", "broken body", "5xx"]
)
def test_a_write_with_an_unknown_outcome_is_not_repeated(sandbox, client, order, fault):
    sandbox.set_faults(paths=[BULK], **fault)
    item = order["orderitem_set"][0]["pk"]

    with pytest.raises(OmnitronOutcomeUnknown):
        client.order_items_status_update({item: 450})

    assert len(sandbox.requests(BULK)) == 1


def test_a_write_that_timed_out_is_not_repeated(sandbox, make_client, order):
    sandbox.set_faults(latency_ms=500, paths=[BULK])
    item = order["orderitem_set"][0]["pk"]

    with pytest.raises(OmnitronOutcomeUnknown, match="timed out"):
        make_client(read_timeout=0.1).order_items_status_update({item: 450})

    _wait_for_the_late_answer(sandbox, BULK)
    time.sleep(0.2)
    assert len(sandbox.requests(BULK)) == 1


def test_a_write_refused_before_it_was_read_is_retried(sandbox, client, order):
    sandbox.set_faults(rate_limit_next=1, paths=[BULK])
    item = order["orderitem_set"][0]["pk"]
    heard = []

    assert client.order_items_status_update({item: 450}, on_attempt=heard.append) == {item: 450}

    assert [(a.number, a.finished, a.outcome, a.status_code) for a in heard] == [
        (1, False, "", None),
        (1, True, "failed", 429),
        (2, False, "", None),
        (2, True, "answered", 200),
    ]
