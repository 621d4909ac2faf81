"""The dashboard's cancellation queues in a real browser (Debian's Chromium, Playwright)."""

import pytest
from playwright.sync_api import expect

from oms.core.statuses import PackageStatus
from oms.packages.models import Package
from tests.ui.conftest import PACKAGING, SUPERUSER, admin_login

pytestmark = pytest.mark.django_db(transaction=True)

PLAN = "/api/v1/oms/cancellation_plan/"


def packed(api, ingest, pk: int, tracking_number: str) -> Package:
    order = ingest(pk=pk, items=2, tracking_number=tracking_number)
    package_id = order["packages"][0]["id"]
    body = {"slug": PACKAGING, "input_parameters": {}}
    assert api.post(f"/api/v1/oms/packages/{package_id}/command/", body, format="json").status_code == 204
    return Package.objects.get(pk=package_id)


def plan(api, plan_id: int, pk: int, items: list[int], plan_type: str = "cancel") -> None:
    body = {"id": plan_id, "order": pk, "plan_type": plan_type, "order_items": items}
    response = api.post(PLAN, body, format="json")
    assert response.status_code == 201, response.json()


def test_pull_back_and_returns_queues(live_server, page, superuser, api, marketplace, ingest, screenshot):
    pulled = packed(api, ingest, 6001, "TRK-6001")
    plan(api, 1, 6001, [600101, 600102])
    shipped_anyway = packed(api, ingest, 6002, "TRK-6002")
    plan(api, 2, 6002, [600201])
    Package.objects.filter(pk=shipped_anyway.pk).update(status=PackageStatus.SHIPPED)  # the carrier took it
    returned = packed(api, ingest, 6003, "TRK-6003")
    Package.objects.filter(pk=returned.pk).update(status=PackageStatus.DELIVERED)
    plan(api, 3, 6003, [600301], plan_type="refund")

    admin_login(page, live_server, *SUPERUSER)

    expect(page.locator("[data-testid=kpi-pull-back] .n")).to_have_text("2")
    pull_back = page.locator("[data-testid=pull-back-rows]")
    first = pull_back.locator(f"tr[data-package='{pulled.number}']")
    expect(first).to_contain_text("TRK-6001")
    expect(first).to_contain_text("packed, on the outgoing pile")
    expect(first).to_contain_text("600101, 600102")
    second = pull_back.locator(f"tr[data-package='{shipped_anyway.number}']")
    expect(second.locator("[data-testid=shipped-after-cancellation]")).to_have_text(
        "shipped after cancellation"
    )
    expect(second).to_contain_text("TRK-6002")
    returns = page.locator(f"[data-testid=returns-rows] tr[data-package='{returned.number}']")
    expect(returns).to_contain_text("TRK-6003")
    expect(returns).to_contain_text("600301")
    expect(returns).to_contain_text("delivered")
    screenshot(page, "cancellation-queues")

    first.locator("a").click()
    page.wait_for_url(f"{live_server.url}/ops/packages/{pulled.pk}/")
    expect(page.locator("#timeline")).to_contain_text("CANCELLATION_REQUESTED")
    page.click("button[data-slug=CANCEL_PACKED_PACKAGE]")
    expect(page.locator("ul.messages li.success")).to_have_text(
        "CANCEL_PACKED_PACKAGE ran: packed → cancelled."
    )

    page.goto(f"{live_server.url}/ops/")
    expect(page.locator("[data-testid=kpi-pull-back] .n")).to_have_text("1")
    expect(page.locator(f"[data-testid=pull-back-rows] tr[data-package='{pulled.number}']")).to_have_count(0)
