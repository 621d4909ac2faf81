"""Helpers shared by the cancellation tests: orders placed in the sandbox and ingested, packing,
cancelling in the sandbox and sending the plan to OMS."""

import pytest
from django.utils import timezone

from oms.omnitron.client import omnitron_client_get
from oms.omnitron.reports import reports_deliver_due
from oms.packages.models import Package
from oms.sandbox.cancellations import items_cancel
from oms.shipments.resolution import shipments_resolve

INGEST = "/api/v1/oms/omnitron/orders/"
PLAN = "/api/v1/oms/cancellation_plan/"
BULK_STATUS_PATH = "/api/i1/order_items/bulk_status_update/"
PACK = {"slug": "CHANNEL_BASED_COMPLETE_PACKAGING", "input_parameters": {}}


def pack(api, package_id: int):
    return api.post(f"/api/v1/oms/packages/{package_id}/command/", PACK, format="json")


def run(api, package_id: int, slug: str):
    return api.post(f"/api/v1/oms/packages/{package_id}/command/", {"slug": slug}, format="json")


def deliver_reports() -> dict:
    now = timezone.now()
    return reports_deliver_due(now_fn=lambda: now, client_factory=omnitron_client_get)


def resolve():
    return shipments_resolve(client_factory=omnitron_client_get, now_fn=timezone.now, due_only=False)


def sandbox_cancel(omnitron, pk: int, items=None, plan_type: str = "cancel", **body) -> dict:
    """Cancel (refund) in the sandbox; returns its answer, with the plan Omnitron would send."""
    if items is not None:
        body["items"] = items
    return items_cancel(omnitron, pk, {"send_plan": False, **body}, plan_type=plan_type)


def reported_item_ids(omnitron) -> list[int]:
    """Every order item OMS ever reported to the sandbox (its request log)."""
    return [
        row["id"]
        for request in omnitron.requests()
        if request["path"] == BULK_STATUS_PATH
        for row in (request["body"] or {}).get("orderitem_set", [])
    ]


@pytest.fixture
def placed(api, marketplace, omnitron):
    """Create an order in the sandbox and ingest it by pk. Returns (sandbox order, package id)."""

    def make(items: int = 2) -> tuple[dict, int]:
        order = omnitron.create_order(channel=42, cargo_company=7, tracking_number="TRK-C", item_count=items)
        response = api.post(INGEST, {"pk": order["pk"]}, format="json")
        assert response.status_code == 201, response.json()
        return order, response.json()["packages"][0]["id"]

    return make


def package(package_id: int) -> Package:
    return Package.objects.get(pk=package_id)
