"""Every path that asks Omnitron does so with no database transaction open, the guard on.

The test settings turn the client's transaction guard on (OMNITRON_REFUSE_CALLS_IN_TRANSACTION): a
call made inside a transaction is refused before it is sent. So a path whose request reaches the
sandbox (a real HTTP server, which logs what it answered) made its call outside any transaction.
Each path runs here for real, and the sandbox's log shows its call arrived.
"""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from oms.channels.tasks import sync_channels
from oms.omnitron.client import omnitron_client_get
from oms.omnitron.models import OmnitronReport
from oms.omnitron.reports import reports_deliver_due
from oms.operations.setup_check.omnitron import omnitron_connection_check
from oms.orders.reconciliation import orders_reconcile
from oms.orders.services import order_ingest_pushed
from oms.shipments.cargo_companies import sync_cargo_companies
from oms.shipments.resolution.cycle import shipments_resolve

PACK = {"slug": "CHANNEL_BASED_COMPLETE_PACKAGING", "input_parameters": {}}


def _answered(omnitron, method: str, path: str) -> list[dict]:
    return [
        entry
        for entry in omnitron.requests(path)
        if entry["method"] == method and entry["status"] is not None and entry["status"] < 500
    ]


@pytest.fixture(autouse=True)
def _guard_on():
    assert settings.OMNITRON_REFUSE_CALLS_IN_TRANSACTION is True


def test_ingestion_by_pk(db, omnitron):
    order = omnitron.create_order(item_count=1)
    omnitron.clear_requests()

    result = order_ingest_pushed(
        body={"pk": order["pk"]}, client_factory=omnitron_client_get, now=timezone.now()
    )

    assert result.created
    assert _answered(omnitron, "GET", f"/api/v1/orders/{order['pk']}/")


def test_ingestion_of_an_order_in_a_new_channel(db, omnitron):
    channel = omnitron.create_channel(name="New marketplace")
    order = omnitron.create_order(channel=channel["pk"], item_count=1)
    omnitron.clear_requests()

    result = order_ingest_pushed(body=order, client_factory=omnitron_client_get, now=timezone.now())

    assert result.created
    assert _answered(omnitron, "GET", f"/api/v1/channels/{channel['pk']}/")


def test_packaging_that_reads_the_tracking_number(api, marketplace, omnitron):
    order = omnitron.create_order(channel=42, cargo_company=7, tracking_number="TRK-GUARD", item_count=1)
    package_id = api.post(
        "/api/v1/oms/omnitron/orders/", dict(order, tracking_number=""), format="json"
    ).json()["packages"][0]["id"]
    omnitron.clear_requests()

    response = api.post(f"/api/v1/oms/packages/{package_id}/command/", PACK, format="json")

    assert response.status_code == 204, response.json()
    assert _answered(omnitron, "GET", f"/api/v1/orders/{order['pk']}/")


def test_report_delivery_reads_then_sends(db, omnitron):
    order = omnitron.create_order(item_count=1)
    item = order["orderitem_set"][0]["pk"]
    OmnitronReport.objects.create(
        kind="order_item_statuses",
        payload={"orderitem_set": [{"id": item, "status": "450"}], "order_ids": [order["pk"]]},
        next_attempt_at=timezone.now(),
    )
    omnitron.clear_requests()

    assert reports_deliver_due(now_fn=timezone.now, client_factory=omnitron_client_get) == {"sent": 1}
    assert _answered(omnitron, "GET", "/api/v1/orders/")
    assert _answered(omnitron, "PATCH", "/api/i1/order_items/bulk_status_update/")


def test_reconciliation(db, omnitron):
    omnitron.create_order(item_count=1)
    omnitron.clear_requests()

    orders_reconcile(client_factory=omnitron_client_get, now=timezone.now() + timedelta(minutes=1))

    assert _answered(omnitron, "GET", "/api/v1/orders/")


def test_shipment_status_resolution(api, marketplace, ingest, omnitron):
    package_id = ingest(pk=9301)["packages"][0]["id"]
    assert api.post(f"/api/v1/oms/packages/{package_id}/command/", PACK, format="json").status_code == 204
    omnitron.clear_requests()

    shipments_resolve(client_factory=omnitron_client_get, now_fn=timezone.now, due_only=False)

    assert _answered(omnitron, "GET", "/api/v1/orders/")


@pytest.mark.parametrize(
    ("sync", "path"),
    [(sync_channels, "/api/v1/channels/"), (sync_cargo_companies, "/api/v1/cargo_companies/")],
    ids=["channels", "cargo companies"],
)
def test_catalogue_syncs(db, omnitron, sync, path):
    omnitron.clear_requests()

    assert not sync().startswith(("failed", "skipped"))
    assert _answered(omnitron, "GET", path)


def test_the_setup_check(db, omnitron):
    omnitron.clear_requests()

    assert omnitron_connection_check().ok
    assert _answered(omnitron, "GET", "/api/v1/channels/")
