"""Retries: what is retried, how long the client waits, and when it gives up."""

import logging
import socket
import time

import pytest

from oms.omnitron.client import OmnitronClient
from oms.omnitron.errors import OmnitronNotFound, OmnitronRejected, OmnitronUnavailable

ORDERS = "/api/v1/orders/"


def wait_for_requests(sandbox, path: str, count: int, timeout: float = 5.0) -> list[dict]:
    """The sandbox records a delayed request once it answers: wait for the stragglers."""
    deadline = time.monotonic() + timeout
    while len(sandbox.requests(path)) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    return sandbox.requests(path)


@pytest.fixture
def order(sandbox):
    return sandbox.create_order()


def test_a_5xx_burst_is_retried_until_it_passes(sandbox, client, sleeps, order):
    sandbox.set_faults(fail_next=2, paths=[ORDERS])

    assert client.order_get(order["pk"]).pk == order["pk"]

    assert [entry["status"] for entry in sandbox.requests(ORDERS)] == [503, 503, 200]
    assert len(sleeps) == 2
    assert all(0 <= wait <= 0.01 for wait in sleeps)


def test_a_429_is_retried_after_retry_after(sandbox, make_client, sleeps, order):
    client = make_client(backoff_max=8)
    sandbox.set_faults(rate_limit_next=2, retry_after=3, paths=[ORDERS])

    client.order_get(order["pk"])

    assert sleeps == [3, 3]
    assert [entry["status"] for entry in sandbox.requests(ORDERS)] == [429, 429, 200]


def test_retry_after_is_capped_at_backoff_max(sandbox, make_client, sleeps, order):
    client = make_client(backoff_max=8)
    sandbox.set_faults(rate_limit_next=1, retry_after=120, paths=[ORDERS])

    client.order_get(order["pk"])

    assert sleeps == [8]


def test_a_dropped_connection_is_retried(sandbox, client, sleeps, order):
    sandbox.set_faults(drop_next=1, paths=[ORDERS])

    assert client.order_get(order["pk"]).pk == order["pk"]

    assert [entry["status"] for entry in sandbox.requests(ORDERS)] == [None, 200]
    assert len(sleeps) == 1


def test_a_malformed_json_body_is_retried(sandbox, client, sleeps, order):
    sandbox.set_faults(malformed_next=1, paths=[ORDERS])

    assert client.order_get(order["pk"]).pk == order["pk"]

    assert [entry["fault"] for entry in sandbox.requests(ORDERS)] == ["malformed", None]
    assert len(sleeps) == 1


def test_a_timeout_is_retried(sandbox, make_client, order):
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        sandbox.clear_faults()  # the slowness passes while the client waits

    client = make_client(read_timeout=0.25, sleep=sleep)
    client.channel_get(42)  # log in before slowing down
    sandbox.set_faults(latency_ms=1000, paths=[ORDERS])

    assert client.order_get(order["pk"]).pk == order["pk"]

    assert len(waits) == 1
    assert len(wait_for_requests(sandbox, ORDERS, 2)) == 2


def test_persistent_timeouts_give_up_after_max_attempts(sandbox, make_client, sleeps, order):
    client = make_client(read_timeout=0.25, max_attempts=3)
    client.channel_get(42)
    sandbox.set_faults(latency_ms=1000, paths=[ORDERS])

    with pytest.raises(OmnitronUnavailable) as raised:
        client.order_get(order["pk"])

    assert raised.value.attempts == 3
    assert "timed out" in str(raised.value)
    assert f"GET {ORDERS}{order['pk']}/" in str(raised.value)
    assert len(sleeps) == 2
    assert len(wait_for_requests(sandbox, ORDERS, 3)) == 3


def test_gives_up_after_max_attempts_with_unavailable(sandbox, client, sleeps, order):
    sandbox.set_faults(fail_next=10, paths=[ORDERS])

    with pytest.raises(OmnitronUnavailable) as raised:
        client.order_get(order["pk"])

    error = raised.value
    assert (error.status_code, error.attempts, error.method, error.path) == (
        503,
        4,
        "GET",
        f"{ORDERS}{order['pk']}/",
    )
    assert f"Omnitron GET {ORDERS}{order['pk']}/ failed after 4 attempt(s): answered 503" in str(error)
    assert len(sandbox.requests(ORDERS)) == 4
    assert len(sleeps) == 3


def test_backoff_grows_exponentially_with_full_jitter_up_to_the_cap(sandbox, make_client, sleeps, order):
    client = make_client(backoff_base=1, backoff_max=3, max_attempts=6)
    sandbox.set_faults(fail_next=5, paths=[ORDERS])

    client.order_get(order["pk"])

    assert len(sleeps) == 5
    for attempt, wait in enumerate(sleeps, start=1):
        assert 0 <= wait <= min(3, 2 ** (attempt - 1))


def test_each_retry_is_logged_as_a_warning_with_call_and_reason(sandbox, client, order, caplog):
    sandbox.set_faults(fail_next=1, paths=[ORDERS])

    with caplog.at_level(logging.WARNING, logger="oms.omnitron.client"):
        client.order_get(order["pk"])

    (record,) = [record for record in caplog.records if record.name == "oms.omnitron.client"]
    assert record.levelno == logging.WARNING
    assert f"GET {ORDERS}{order['pk']}/" in record.getMessage()
    assert "503" in record.getMessage()
    assert "attempt 1 of 4" in record.getMessage()


def test_a_404_is_not_retried(sandbox, client, sleeps):
    with pytest.raises(OmnitronNotFound) as raised:
        client.order_get(999999)

    assert raised.value.status_code == 404
    assert raised.value.body == {"detail": "Not found."}
    assert str(raised.value) == 'Omnitron GET /api/v1/orders/999999/ answered 404: {"detail": "Not found."}'
    assert len(sandbox.requests(ORDERS)) == 1
    assert sleeps == []


def test_a_400_is_not_retried(sandbox, client, sleeps):
    with pytest.raises(OmnitronRejected) as raised:
        client.order_items_status_update({999999: 450})

    assert raised.value.status_code == 400
    assert "999999" in raised.value.body["orderitem_set"][0]
    assert len(sandbox.requests("/api/i1/")) == 1
    assert sleeps == []


def test_connection_refused_is_retried_then_unavailable(sleeps):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    OmnitronClient.token_cache_clear()

    with (
        OmnitronClient(
            f"http://127.0.0.1:{port}", "u", "p", backoff_base=0.001, sleep=sleeps.append
        ) as client,
        pytest.raises(OmnitronUnavailable) as raised,
    ):
        client.channel_get(42)

    assert "ConnectError" in str(raised.value)
    assert "logging in (POST /api/v1/auth/login/)" in str(raised.value)
    assert len(sleeps) == 3
