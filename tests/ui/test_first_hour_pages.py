"""What a new user meets first on the operator pages: a phone-width screen, a mistyped package link,
and a delivered shipment that OMS no longer checks."""

from datetime import timedelta

import pytest
from django.utils import timezone

from oms.core.statuses import PackageStatus, ShipmentStatus
from tests.ui.builders import make_channel, make_package, make_shipment
from tests.ui.conftest import SUPERUSER, admin_login

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def delivered_package(db):
    """A delivered package whose shipment still carries the next check stored before delivery."""
    package = make_package(channel=make_channel("Trendyol"), status=PackageStatus.DELIVERED)
    shipment = make_shipment(
        package, status=ShipmentStatus.DELIVERED, next_check_at=timezone.now() + timedelta(minutes=5)
    )
    return package, shipment


def test_an_unknown_package_page_is_a_styled_404_with_a_way_back(staff_client):
    for response in (
        staff_client.get("/ops/packages/999999/"),
        staff_client.post("/ops/packages/999999/command/", {"slug": "CHANNEL_BASED_COMPLETE_PACKAGING"}),
    ):
        assert response.status_code == 404
        body = response.content.decode()
        assert "<h1>No package 999999</h1>" in body
        assert 'href="/ops/"' in body  # back to the dashboard
        assert "OMS operations" in body  # the pages' own layout and style
        assert "<style>" in body


def test_a_delivered_shipment_shows_no_next_check_in_the_api(api, delivered_package):
    package, shipment = delivered_package

    from_shipments = api.get(f"/api/v1/oms/shipments/{shipment.pk}/").json()
    from_package = api.get(f"/api/v1/oms/packages/{package.pk}/").json()

    assert from_shipments["status"] == "delivered"
    assert from_shipments["next_check_at"] is None
    assert from_package["shipment"]["next_check_at"] is None


def test_a_followed_shipment_shows_its_next_check(api, db):
    package = make_package(channel=make_channel("Trendyol"), status=PackageStatus.SHIPPED)
    at = timezone.now() + timedelta(minutes=5)
    shipment = make_shipment(package, status=ShipmentStatus.SHIPPED, next_check_at=at)

    shown = api.get(f"/api/v1/oms/shipments/{shipment.pk}/").json()["next_check_at"]

    assert shown is not None
    assert shown.startswith(at.strftime("%Y-%m-%dT%H:%M"))


def test_a_delivered_shipment_shows_no_next_check_on_its_page(staff_client, delivered_package):
    package, _ = delivered_package

    body = staff_client.get(f"/ops/packages/{package.pk}/").content.decode()

    assert '<dd data-testid="next-check">none: delivered is final</dd>' in body


def _overflow(page) -> int:
    """How many CSS pixels the page is wider than the screen (0: no horizontal scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


@pytest.mark.django_db(transaction=True)
def test_at_390_px_the_dashboard_and_a_package_page_fit_the_screen(live_server, browser, superuser, walked):
    package_id, _ = walked
    context = browser.new_context(viewport=PHONE)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        admin_login(page, live_server, *SUPERUSER)
        assert _overflow(page) <= 0
        for link in page.locator("header.top nav a").all():
            box = link.bounding_box()
            assert box is not None and box["x"] + box["width"] <= PHONE["width"], link.inner_text()

        page.goto(f"{live_server.url}/ops/packages/{package_id}/")
        assert _overflow(page) <= 0
        # The timeline's text gets the screen's width, not a column one character wide.
        widths = page.locator("#timeline li .what").evaluate_all("items => items.map(i => i.clientWidth)")
        assert widths and min(widths) > 250, widths
        detail_widths = page.locator("#timeline li .what dd").evaluate_all(
            "items => items.map(i => i.clientWidth)"
        )
        assert detail_widths and min(detail_widths) > 100, detail_widths
    finally:
        context.close()
