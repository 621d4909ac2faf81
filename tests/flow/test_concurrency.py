"""Concurrent requests through a real HTTP server (threads), on whichever database the suite runs."""

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from oms.core.models import IdempotencyKey
from oms.omnitron.models import OmnitronReport
from oms.orders.models import Order
from oms.packages.models import Package, PackageItem
from oms.shipments.models import Shipment
from oms.transitions.models import RefusedCommand
from tests.factories import omnitron_order_json
from tests.tokens import token_for

pytestmark = pytest.mark.django_db(transaction=True)

SEED_BODY = {"slug": "CHANNEL_BASED_COMPLETE_PACKAGING", "input_parameters": {}}


def _post_all(url: str, token: str, body: dict, n: int = 20) -> list[int]:
    headers = {"Authorization": f"Token {token}"}

    def post(_: int) -> int:
        with httpx.Client(timeout=60) as client:
            return client.post(url, json=body, headers=headers).status_code

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(post, range(n)))


def test_twenty_concurrent_pushes_of_one_order_give_one_order_and_one_package(
    live_server, staff_user, marketplace
):
    token = token_for(staff_user)
    body = omnitron_order_json(pk=4242, items=3)

    codes = _post_all(f"{live_server.url}/api/v1/oms/omnitron/orders/", token, body)

    assert sorted(codes) == [200] * 19 + [201]
    assert Order.objects.filter(omnitron_id=4242).count() == 1
    assert Package.objects.count() == 1
    assert PackageItem.objects.count() == 3


def test_twenty_concurrent_packaging_calls_give_one_shipment_and_one_report(
    live_server, staff_user, marketplace, api
):
    token = token_for(staff_user)
    response = api.post("/api/v1/oms/omnitron/orders/", omnitron_order_json(pk=4343, items=2), format="json")
    package_id = response.json()["packages"][0]["id"]

    codes = _post_all(f"{live_server.url}/api/v1/oms/packages/{package_id}/command/", token, SEED_BODY)

    assert sorted(codes) == [204] + [400] * 19
    assert Shipment.objects.filter(package_id=package_id).count() == 1
    assert OmnitronReport.objects.filter(package_id=package_id).count() == 1


def test_twenty_concurrent_calls_with_one_idempotency_key_pack_once(
    live_server, staff_user, marketplace, api
):
    token = token_for(staff_user)
    response = api.post("/api/v1/oms/omnitron/orders/", omnitron_order_json(pk=4444, items=2), format="json")
    package_id = response.json()["packages"][0]["id"]
    url = f"{live_server.url}/api/v1/oms/packages/{package_id}/command/"
    headers = {"Authorization": f"Token {token}", "Idempotency-Key": "one-key"}

    def post(_: int) -> int:
        with httpx.Client(timeout=60) as client:
            return client.post(url, json=SEED_BODY, headers=headers).status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        codes = list(pool.map(post, range(20)))

    # The key's first request packs; the others replay its answer or are told it is still running.
    assert set(codes) <= {204, 409} and 204 in codes
    assert Shipment.objects.filter(package_id=package_id).count() == 1
    assert OmnitronReport.objects.filter(package_id=package_id).count() == 1
    assert not RefusedCommand.objects.filter(package_id=package_id).exists()
    assert IdempotencyKey.objects.get(key="one-key").response_status == 204
