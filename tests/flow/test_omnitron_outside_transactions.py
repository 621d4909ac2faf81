"""No Omnitron call inside a database transaction: the Idempotency-Key path, and the client's guard.

The keyed packaging call reads the missing tracking number from the sandbox (a real HTTP server)
while a latency fault holds the answer back; meanwhile another request writes through the same live
server. It completes while the packaging call is still waiting on Omnitron, on SQLite as on
PostgreSQL: the keyed call holds no transaction (so no SQLite write lock) across the HTTP call.
"""

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import pytest
from django.db import transaction
from django.utils import timezone

from oms.core.idempotency import RUNNING_EXPIRES_AFTER
from oms.core.models import IdempotencyKey
from oms.core.statuses import PackageStatus
from oms.omnitron.client import omnitron_client_get
from oms.omnitron.guard import OmnitronCallInTransaction
from oms.orders.models import Order
from oms.packages.models import Package
from tests.factories import omnitron_order_json
from tests.scaffolding import example_atomic
from tests.tokens import token_for

INGEST = "/api/v1/oms/omnitron/orders/"
SEED_BODY = {"slug": "CHANNEL_BASED_COMPLETE_PACKAGING", "input_parameters": {}}
LOGIN_PATH = "/api/v1/auth/login/"
# Long enough that the other write clearly starts and ends while Omnitron is still answering.
OMNITRON_LATENCY_MS = 3000


def _wait_for(condition, *, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("gave up waiting")
        time.sleep(0.02)


def _package_without_tracking_number(api, omnitron) -> tuple[int, dict]:
    """A package whose order has its tracking number in Omnitron only (packing must read it)."""
    order = omnitron.create_order(channel=42, cargo_company=7, tracking_number="TRK-SLOW", item_count=1)
    response = api.post(INGEST, dict(order, tracking_number=""), format="json")
    assert response.status_code == 201, response.json()
    return response.json()["packages"][0]["id"], order


@pytest.mark.django_db(transaction=True)
def test_a_keyed_packaging_call_waiting_on_omnitron_does_not_block_another_writer(
    live_server, staff_user, marketplace, api, omnitron
):
    package_id, order = _package_without_tracking_number(api, omnitron)
    token = token_for(staff_user)
    headers = {"Authorization": f"Token {token}"}
    order_path = f"/api/v1/orders/{order['pk']}/"
    omnitron.clear_requests()
    omnitron.set_faults(latency_ms=OMNITRON_LATENCY_MS, paths=["/api/v1/orders/"])

    def keyed_packaging() -> int:
        with httpx.Client(timeout=30) as client:
            return client.post(
                f"{live_server.url}/api/v1/oms/packages/{package_id}/command/",
                json=SEED_BODY,
                headers={**headers, "Idempotency-Key": "slow-omnitron-1"},
            ).status_code

    with ThreadPoolExecutor(max_workers=1) as pool:
        packing = pool.submit(keyed_packaging)
        # The login is answered just before the order read is sent (and held back by the latency).
        _wait_for(lambda: omnitron.requests(LOGIN_PATH))
        time.sleep(0.3)

        with httpx.Client(timeout=30) as client:
            other = client.post(
                f"{live_server.url}{INGEST}", json=omnitron_order_json(pk=7101), headers=headers
            )

        # The other write is done while the packaging call still waits for Omnitron's answer.
        assert other.status_code == 201, other.text
        assert omnitron.requests(order_path) == []
        assert not packing.done()
        assert Package.objects.get(pk=package_id).status == PackageStatus.WAITING
        running = IdempotencyKey.objects.get(key="slow-omnitron-1")
        assert running.response_status is None

        assert packing.result(timeout=30) == 204

    assert Order.objects.filter(omnitron_id=7101).exists()
    package = Package.objects.get(pk=package_id)
    assert package.status == PackageStatus.PACKED
    assert package.shipment.tracking_number == "TRK-SLOW"
    assert [r["path"] for r in omnitron.requests(order_path)] == [order_path]
    answered = IdempotencyKey.objects.get(key="slow-omnitron-1")
    assert answered.response_status == 204


@pytest.mark.django_db(transaction=True)
def test_the_client_refuses_a_call_inside_a_transaction_before_sending_it(omnitron):
    omnitron.clear_requests()

    with (
        pytest.raises(OmnitronCallInTransaction, match="inside a database transaction"),
        transaction.atomic(),
        omnitron_client_get() as client,
    ):
        client.channels_list()

    assert omnitron.requests() == []
    with omnitron_client_get() as client:
        assert [channel.pk for channel in client.channels_list()]


def test_the_test_cases_own_transaction_does_not_count(db, omnitron):
    with omnitron_client_get() as client:
        assert client.channels_list()


def test_a_keyed_call_that_meets_an_omnitron_outage_releases_its_key(api, marketplace, omnitron):
    package_id, _ = _package_without_tracking_number(api, omnitron)
    url = f"/api/v1/oms/packages/{package_id}/command/"
    omnitron.set_faults(error_rate=1.0, paths=["/api/v1/orders/"])

    down = api.post(url, SEED_BODY, format="json", HTTP_IDEMPOTENCY_KEY="outage-1")

    assert down.status_code == 503, down.json()
    assert not IdempotencyKey.objects.filter(key="outage-1").exists()
    assert Package.objects.get(pk=package_id).status == PackageStatus.WAITING

    omnitron.clear_faults()
    again = api.post(url, SEED_BODY, format="json", HTTP_IDEMPOTENCY_KEY="outage-1")

    assert again.status_code == 204
    assert Package.objects.get(pk=package_id).status == PackageStatus.PACKED


def test_a_key_still_running_answers_409_and_a_stale_one_is_taken_over(api, marketplace, ingest, staff_user):
    package_id = ingest(pk=7201)["packages"][0]["id"]
    url = f"/api/v1/oms/packages/{package_id}/command/"
    first = api.post(url, SEED_BODY, format="json", HTTP_IDEMPOTENCY_KEY="crash-1")
    assert first.status_code == 204
    # As if the request had died mid-call: the key is left running.
    IdempotencyKey.objects.filter(key="crash-1").update(response_status=None, response_body=None)

    running = api.post(url, SEED_BODY, format="json", HTTP_IDEMPOTENCY_KEY="crash-1")

    assert running.status_code == 409
    assert "still running" in running.json()["error"]["Idempotency-Key"][0]

    IdempotencyKey.objects.filter(key="crash-1").update(
        created_at=timezone.now() - RUNNING_EXPIRES_AFTER - timedelta(seconds=1)
    )
    taken_over = api.post(url, SEED_BODY, format="json", HTTP_IDEMPOTENCY_KEY="crash-1")

    # Run again: the package is packed already, so the command is refused, once, and that is kept.
    assert taken_over.status_code == 400
    assert "packed" in str(taken_over.json())
    replay = api.post(url, SEED_BODY, format="json", HTTP_IDEMPOTENCY_KEY="crash-1")
    assert (replay.status_code, replay.json()) == (400, taken_over.json())
    assert Package.objects.get(pk=package_id).shipment is not None


@pytest.mark.django_db(transaction=True)
def test_a_tests_own_example_block_does_not_count_but_the_codes_inside_it_does(omnitron):
    with example_atomic(), omnitron_client_get() as client:
        assert client.channels_list()

        with pytest.raises(OmnitronCallInTransaction), transaction.atomic():
            client.channels_list()
