"""The operator pages in a real browser (Debian's Chromium driven by Playwright) on a live server."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from oms.core.statuses import PackageStatus, ShipmentStatus
from oms.omnitron.models import ReportState
from oms.packages.models import Package
from oms.shipments.models import CargoCompanyCondition
from tests.ui.builders import make_channel, make_log, make_package, make_report, make_shipment
from tests.ui.conftest import PACKAGING, SUPERUSER, admin_login

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_operator_packs_a_package_from_its_page(
    live_server, page, superuser, marketplace, ingest, screenshot
):
    order = ingest(pk=4001, items=2, tracking_number="TRK-4001")
    package = Package.objects.get(pk=order["packages"][0]["id"])

    admin_login(page, live_server, *SUPERUSER)

    expect(page.locator("h1")).to_have_text("Operations dashboard")
    trendyol = page.locator('[data-testid=status-channel-table] tr[data-channel="Trendyol"]')
    expect(trendyol.locator('td[data-status="100"]')).to_have_text("1")
    screenshot(page, "dashboard")

    page.click("header.top >> text=Packages")
    page.click(f"tr:has-text('{package.number}') >> text=timeline & commands")
    page.wait_for_url(f"{live_server.url}/ops/packages/{package.pk}/")
    expect(page.locator("#timeline")).to_contain_text("Nothing has happened to this package yet.")
    expect(page.locator("#shipment")).to_contain_text("No shipment yet")

    page.click(f"button[data-slug={PACKAGING}]")

    expect(page.locator("ul.messages li.success")).to_have_text(f"{PACKAGING} ran: waiting → packed.")
    expect(page.locator("[data-testid=package-status]")).to_have_text("packed")
    command = page.locator('#timeline li[data-kind="command"]')
    expect(command).to_have_count(1)
    expect(command).to_contain_text(PACKAGING)
    expect(command).to_contain_text("waiting → packed")
    expect(command).to_contain_text(f"by {SUPERUSER[0]}")
    expect(page.locator('#timeline li[data-kind="report"]')).to_contain_text("Pending")
    expect(page.locator("[data-testid=tracking-number]")).to_have_text("TRK-4001")
    # Only the cancellation commands of a parcel to pull back run from packed.
    expect(page.locator("#commands button")).to_have_count(2)
    expect(page.locator("button[data-slug=CANCEL_PACKED_PACKAGE]")).to_have_count(1)
    expect(page.locator("button[data-slug=REPACK_PACKAGE]")).to_have_count(1)
    screenshot(page, "package-packed")
    assert Package.objects.get(pk=package.pk).status == PackageStatus.PACKED


def test_a_refused_command_shows_the_engines_message(
    live_server, browser, superuser, marketplace, ingest, screenshot
):
    package_id = ingest(pk=4002, items=1, tracking_number="TRK-4002")["packages"][0]["id"]
    number = Package.objects.get(pk=package_id).number
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    first, second = context.new_page(), context.new_page()
    admin_login(first, live_server, *SUPERUSER, next_url=f"/ops/packages/{package_id}/")
    second.goto(f"{live_server.url}/ops/packages/{package_id}/")  # the same page, open twice

    first.click(f"button[data-slug={PACKAGING}]")
    expect(first.locator("[data-testid=package-status]")).to_have_text("packed")
    second.click("button[data-slug=PREPARE_PACKAGE]")  # offered when the page was loaded

    error = second.locator("ul.messages li.error")
    expect(error).to_have_text(
        f"PREPARE_PACKAGE refused: 'PREPARE_PACKAGE' cannot run on package {number}: it is 'packed' and "
        "no 'PREPARE_PACKAGE' transition starts there. Commands allowed from 'packed': "
        "CANCEL_PACKED_PACKAGE, REPACK_PACKAGE."
    )
    expect(second.locator('#timeline li[data-kind="command"]')).to_have_count(1)
    refused = second.locator('#timeline li[data-kind="refused"]')
    expect(refused).to_contain_text("PREPARE_PACKAGE")
    expect(refused).to_contain_text("refused, nothing changed")
    screenshot(second, "package-refused")
    context.close()


def test_an_invalid_condition_shows_the_error_on_the_form(
    live_server, page, superuser, marketplace, screenshot
):
    company = marketplace["cargo_company"]
    admin_login(page, live_server, *SUPERUSER, next_url="/admin/")
    expect(page.locator("#ops-links")).to_contain_text("Operations dashboard")

    page.goto(f"{live_server.url}/admin/shipments/cargocompanycondition/add/")
    page.select_option("#id_cargo_company", str(company.pk))
    page.fill(
        "#id_rules_configuration",
        json.dumps({"rules": [{"klass": "os.system", "params": {"command": "id"}}]}, indent=2),
    )
    page.click("input[name=_save]")

    error = page.locator(".field-rules_configuration .errorlist")
    expect(error).to_contain_text("rules[0].klass: 'os.system' is not a registered condition class.")
    screenshot(page, "admin-condition-error")
    assert CargoCompanyCondition.objects.count() == 1  # the marketplace's own, nothing added


def _busy_day() -> None:
    """Packages of several marketplaces in every stage, some waiting too long, and reports."""
    now = timezone.now()
    for name, counts in [
        ("Hepsiburada", {100: 6, 200: 2, 500: 3, 700: 5, 800: 14}),
        ("Amazon", {100: 2, 400: 1, 500: 1, 720: 1, 800: 6}),
        ("n11", {100: 1, 700: 2, 800: 3, 950: 1}),
    ]:
        channel = make_channel(name)
        for status, n in counts.items():
            for i in range(n):
                package = make_package(channel=channel, status=status)
                if status >= PackageStatus.PACKED:
                    packed_at = now - timedelta(hours=30 if i == 0 else 3, days=0 if status == 500 else 9)
                    make_log(package, old=PackageStatus.WAITING, new=PackageStatus.PACKED, at=packed_at)
                    shipment = make_shipment(package, next_check_at=now - timedelta(minutes=i))
                if status in (PackageStatus.SHIPPED, PackageStatus.ATTEMPTED_DELIVERY):
                    shipped_at = now - timedelta(days=8 if i == 0 else 1)
                    make_log(package, old=PackageStatus.PACKED, new=PackageStatus.SHIPPED, at=shipped_at)
                    shipment.status = ShipmentStatus.SHIPPED
                    if name == "n11" and i == 0:
                        shipment.stale_at = now - timedelta(hours=6)
                    shipment.save(update_fields=["status", "stale_at"])
                if status >= PackageStatus.PACKED and i == 0:
                    make_report(package, state=ReportState.SENT, attempts=1)
    rejected = Package.objects.filter(order__channel__name="Amazon", status=PackageStatus.PACKED).first()
    make_report(
        rejected,
        state=ReportState.REJECTED,
        attempts=1,
        last_error="Omnitron rejected the report (400): Order items do not exist: 81200. "
        "Nothing was changed.",
    )


def test_screenshots_for_the_readme(live_server, page, superuser, walked, screenshot):
    """The two screenshots the README shows (copied to docs/ with OMS_UPDATE_SCREENSHOTS=1)."""
    package_id, _ = walked
    _busy_day()
    admin_login(page, live_server, *SUPERUSER)

    expect(page.locator("[data-testid=kpi-packed] .n")).to_have_text("2")
    screenshot(page, "readme-dashboard", publish_as="dashboard.png")

    page.goto(f"{live_server.url}/ops/packages/{package_id}/")
    expect(page.locator("#timeline li")).to_have_count(8)
    screenshot(page, "readme-package-timeline", publish_as="package-timeline.png")
