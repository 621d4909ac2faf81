"""A slow Omnitron through OMS as production serves it: gunicorn, default settings, 16 s latency.

No setting is lowered: the client has its production timeouts (15 s read, 4 attempts) and the
request budget its default (OMNITRON_REQUEST_DEADLINE_SECONDS, 20 s). gunicorn runs with the
timeout `oms serve` gives it. Packaging an order whose tracking number must be read from Omnitron
answers 503 with Retry-After in the envelope once the budget is spent, never an HTML 500 after a
WORKER TIMEOUT.
"""

import sys
import time

import httpx
import pytest

from oms.operations.management.commands.serve import WEB_TIMEOUT_SECONDS
from oms.settings import base as base_settings
from tests.processes import child_env, free_port, read_log, start, stop, wait_for
from tests.tokens import token_for

INGEST = "/api/v1/oms/omnitron/orders/"
PACK = {"slug": "CHANNEL_BASED_COMPLETE_PACKAGING", "input_parameters": {}}
LATENCY_MS = 16_000

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def gunicorn(omnitron, tmp_path):
    port = free_port()
    log_file = tmp_path / "gunicorn.log"
    env = child_env(
        tmp_path,
        OMNITRON_URL=omnitron.url,
        OMNITRON_USERNAME=omnitron.username,
        OMNITRON_PASSWORD=omnitron.password,
    )
    argv = [sys.executable, "-m", "gunicorn", "oms.wsgi", "-b", f"127.0.0.1:{port}", "-w", "2"]
    argv += ["--timeout", str(WEB_TIMEOUT_SECONDS), "--no-control-socket"]
    process = start(argv, env, log_file)
    url = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            httpx.get(f"{url}/api/v1/oms/", timeout=2)
        except httpx.HTTPError:
            return False
        return True

    try:
        wait_for(answers, 60, "gunicorn did not answer", process, log_file)
        yield url, log_file
    finally:
        stop(process)


def test_packaging_against_a_16_s_omnitron_answers_503_before_gunicorns_timeout(
    gunicorn, staff_user, marketplace, api, omnitron
):
    url, log_file = gunicorn
    order = omnitron.create_order(channel=42, cargo_company=7, tracking_number="TRK-GUNICORN", item_count=1)
    ingested = api.post(INGEST, dict(order, tracking_number=""), format="json")
    package_id = ingested.json()["packages"][0]["id"]
    omnitron.set_faults(latency_ms=LATENCY_MS, paths=["/api/v1/orders/"])
    headers = {"Authorization": f"Token {token_for(staff_user)}", "Idempotency-Key": "gunicorn-slow-1"}

    started = time.monotonic()
    response = httpx.post(
        f"{url}/api/v1/oms/packages/{package_id}/command/", json=PACK, headers=headers, timeout=90
    )
    took = time.monotonic() - started

    assert response.status_code == 503, response.text
    body = response.json()
    assert body["status_code"] == 503 and int(response.headers["Retry-After"]) == body["retry_after"]
    assert took < WEB_TIMEOUT_SECONDS
    assert took >= base_settings.OMNITRON_REQUEST_DEADLINE_SECONDS  # the budget, not an error, ended it
    assert "WORKER TIMEOUT" not in read_log(log_file)
    # Let the sandbox's late answers land before its log is reset.
    deadline = time.monotonic() + LATENCY_MS / 1000 + 5
    while len(omnitron.requests("/api/v1/orders/")) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
