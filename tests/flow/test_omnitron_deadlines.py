"""A slow Omnitron never stalls OMS: commands that must ask it answer 503 + Retry-After in budget.

The OMS under test is the live server (a real threaded HTTP server in this process, so the budget
setting can be lowered for the test); Omnitron is the sandbox with its latency fault. The client is
set up as in production (15 s read timeout, 4 attempts, real backoff): only the request budget
(OMNITRON_REQUEST_DEADLINE_SECONDS) stops the call, well before a 16 s Omnitron answers.
"""

import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from django.conf import settings as django_settings

from oms.core.models import IdempotencyKey
from oms.core.statuses import PackageStatus
from oms.operations.management.commands.serve import WEB_TIMEOUT_SECONDS
from oms.orders.models import Order
from oms.packages.models import Package
from oms.settings import base as base_settings
from tests.factories import omnitron_order_json
from tests.tokens import token_for

INGEST = "/api/v1/oms/omnitron/orders/"
PACK = {"slug": "CHANNEL_BASED_COMPLETE_PACKAGING", "input_parameters": {}}
OMNITRON_LATENCY_MS = 16_000
BUDGET_SECONDS = 3
# What production runs with (oms/settings/base.py), with the test's short connect timeout.
PRODUCTION_CLIENT = {"connect_timeout": 2, "read_timeout": 15, "max_attempts": 4}


@pytest.fixture
def slow_omnitron(omnitron, settings):
    settings.OMNITRON_REQUEST_DEADLINE_SECONDS = BUDGET_SECONDS
    settings.OMNITRON_CLIENT_OPTIONS = PRODUCTION_CLIENT
    yield omnitron
    # The sandbox logs a delayed read once it answers (16 s on): let it land before the log is reset,
    # not in a later test's log.
    deadline = time.monotonic() + OMNITRON_LATENCY_MS / 1000 + 5
    while not omnitron.requests("/api/v1/orders/") and time.monotonic() < deadline:
        time.sleep(0.1)


def _package_without_tracking_number(api, omnitron, pk: int) -> int:
    order = omnitron.create_order(channel=42, cargo_company=7, tracking_number=f"TRK-{pk}", item_count=1)
    response = api.post(INGEST, dict(order, tracking_number=""), format="json")
    assert response.status_code == 201, response.json()
    return response.json()["packages"][0]["id"], order


def _timed_post(url: str, body: dict, headers: dict) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    with httpx.Client(timeout=60) as client:
        response = client.post(url, json=body, headers=headers)
    return response, time.monotonic() - started


def _assert_503_in_budget(response: httpx.Response, took: float) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["status_code"] == 503
    assert int(response.headers["Retry-After"]) == body["retry_after"] >= 1
    # The budget ends the call: far from the 16 s Omnitron takes, and from gunicorn's timeout.
    assert took < BUDGET_SECONDS + 3


def test_the_default_request_budget_is_well_under_the_web_servers_timeout():
    assert base_settings.OMNITRON_REQUEST_DEADLINE_SECONDS <= WEB_TIMEOUT_SECONDS / 2
    # Background work may wait longer than a request (no web server kills it), but not forever.
    assert WEB_TIMEOUT_SECONDS < base_settings.OMNITRON_CLIENT_OPTIONS["deadline"] < 300
    assert "oms.core.middleware.RequestBudgetMiddleware" in django_settings.MIDDLEWARE


@pytest.mark.django_db(transaction=True)
def test_packaging_that_must_read_a_slow_omnitron_answers_503_within_the_budget(
    live_server, staff_user, marketplace, api, slow_omnitron
):
    package_id, _ = _package_without_tracking_number(api, slow_omnitron, 8101)
    slow_omnitron.set_faults(latency_ms=OMNITRON_LATENCY_MS, paths=["/api/v1/orders/"])
    headers = {"Authorization": f"Token {token_for(staff_user)}"}

    response, took = _timed_post(
        f"{live_server.url}/api/v1/oms/packages/{package_id}/command/", PACK, headers
    )

    _assert_503_in_budget(response, took)
    assert "tracking number" in str(response.json()["error"])
    assert Package.objects.get(pk=package_id).status == PackageStatus.WAITING
    # OMS answered while Omnitron still holds the read back (the sandbox logs a request once answered).
    assert slow_omnitron.requests("/api/v1/orders/") == []


@pytest.mark.django_db(transaction=True)
def test_ingesting_by_pk_from_a_slow_omnitron_answers_503_within_the_budget(
    live_server, staff_user, slow_omnitron
):
    order = slow_omnitron.create_order(channel=42, cargo_company=7, item_count=1)
    slow_omnitron.set_faults(latency_ms=OMNITRON_LATENCY_MS, paths=["/api/v1/orders/"])
    headers = {"Authorization": f"Token {token_for(staff_user)}"}

    response, took = _timed_post(f"{live_server.url}{INGEST}", {"pk": order["pk"]}, headers)

    _assert_503_in_budget(response, took)
    assert not Order.objects.filter(omnitron_id=order["pk"]).exists()


@pytest.mark.django_db(transaction=True)
def test_with_an_idempotency_key_the_same_and_ingests_succeed_meanwhile(
    live_server, staff_user, marketplace, api, slow_omnitron
):
    package_id, _ = _package_without_tracking_number(api, slow_omnitron, 8102)
    slow_omnitron.set_faults(latency_ms=OMNITRON_LATENCY_MS, paths=["/api/v1/orders/"])
    headers = {"Authorization": f"Token {token_for(staff_user)}"}
    url = f"{live_server.url}/api/v1/oms/packages/{package_id}/command/"

    with ThreadPoolExecutor(max_workers=4) as pool:
        packing = pool.submit(_timed_post, url, PACK, {**headers, "Idempotency-Key": "slow-pack-2"})
        ingests = [
            pool.submit(_timed_post, f"{live_server.url}{INGEST}", omnitron_order_json(pk=pk), headers)
            for pk in (8201, 8202, 8203)
        ]
        answers = [future.result(timeout=30) for future in ingests]
        packing_was_running = not packing.done()
        packed, took = packing.result(timeout=30)

    assert [response.status_code for response, _ in answers] == [201, 201, 201]
    assert packing_was_running
    _assert_503_in_budget(packed, took)
    assert not IdempotencyKey.objects.exists()  # an outage is no answer to replay: the key is free
    assert Package.objects.get(pk=package_id).status == PackageStatus.WAITING
    assert set(
        Order.objects.filter(omnitron_id__in=[8201, 8202, 8203]).values_list("omnitron_id", flat=True)
    ) == {
        8201,
        8202,
        8203,
    }
