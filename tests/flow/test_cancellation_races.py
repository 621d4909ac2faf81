"""Cancellation and packing at the same moment, through a real HTTP server (threads), on whichever
database the suite runs (SQLite here, PostgreSQL in CI's second run)."""

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from oms.core.statuses import PackageStatus
from oms.omnitron.models import OmnitronReport, ReportState
from oms.packages.models import Package
from oms.shipments.models import Shipment
from tests.flow.cancel_helpers import INGEST, PACK, PLAN, deliver_reports, reported_item_ids
from tests.tokens import token_for

pytestmark = pytest.mark.django_db(transaction=True)

PAIRS = 20


def test_twenty_concurrent_pack_and_cancel_pairs_each_end_one_way_or_the_other(
    live_server, staff_user, marketplace, api, omnitron
):
    token = token_for(staff_user)
    orders = [
        omnitron.create_order(channel=42, cargo_company=7, tracking_number=f"R{n}", item_count=2)
        for n in range(PAIRS)
    ]
    packages = {}
    for order in orders:
        response = api.post(INGEST, {"pk": order["pk"]}, format="json")
        assert response.status_code == 201, response.json()
        packages[order["pk"]] = response.json()["packages"][0]["id"]
    calls = []
    for n, order in enumerate(orders):
        pack = (f"/api/v1/oms/packages/{packages[order['pk']]}/command/", PACK)
        plan = (
            PLAN,
            {
                "id": 90000 + n,
                "order": order["pk"],
                "plan_type": "cancel",
                "order_items": [item["pk"] for item in order["orderitem_set"]],
            },
        )
        calls += [pack, plan] if n % 2 else [plan, pack]

    def post(call) -> int:
        path, body = call
        with httpx.Client(timeout=60) as client:
            return client.post(
                f"{live_server.url}{path}", json=body, headers={"Authorization": f"Token {token}"}
            ).status_code

    # Twenty at a time, as the other concurrency tests do: the two calls of a pair are neighbours,
    # so they always run together; forty at once overflowed the test server's listen backlog.
    with ThreadPoolExecutor(max_workers=PAIRS) as pool:
        codes = list(pool.map(post, calls))

    assert set(codes) <= {201, 204, 400}, codes
    assert codes.count(201) == PAIRS  # every plan taken
    deliver_reports()
    cancelled_items = []
    outcomes = {"cancelled": 0, "pull_back": 0}
    for order in orders:
        package = Package.objects.get(pk=packages[order["pk"]])
        if package.status == PackageStatus.CANCELLED:
            outcomes["cancelled"] += 1
            assert not Shipment.objects.filter(package=package).exists()
            assert not OmnitronReport.objects.filter(package=package).exists()
            cancelled_items += [item["pk"] for item in order["orderitem_set"]]
        else:
            outcomes["pull_back"] += 1
            assert package.status == PackageStatus.PACKED
            assert package.cancellation_requested_at is not None
            assert Shipment.objects.filter(package=package).count() == 1
            report = OmnitronReport.objects.get(package=package)
            assert report.state in (ReportState.SUPERSEDED, ReportState.SENT)
            if report.state == ReportState.SUPERSEDED:
                cancelled_items += [item["pk"] for item in order["orderitem_set"]]
    assert sum(outcomes.values()) == PAIRS
    assert not set(reported_item_ids(omnitron)) & set(cancelled_items)
