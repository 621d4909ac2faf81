"""The packing work list in a real browser, driven by keyboard and scanner alone."""

import subprocess

import pytest
from playwright.sync_api import expect

from oms.core.statuses import PackageStatus
from oms.orders.models import OrderItem
from oms.packages.models import Package
from oms.transitions.models import StateTransitionLog
from tests.ui.conftest import SUPERUSER, admin_login

pytestmark = pytest.mark.django_db(transaction=True)


def _tab_to(page, element_id: str, limit: int = 30) -> None:
    """Press Tab until the element has the focus (a keyboard user's way there)."""
    for _ in range(limit):
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"#{element_id} is not reachable with Tab")


def test_scan_select_pack_and_print_labels_with_the_keyboard(
    live_server, page, superuser, marketplace, ingest, screenshot, tmp_path
):
    orders = [ingest(pk=5100 + n, items=2, tracking_number=f"73305100{n}") for n in range(4)]
    ids = [order["packages"][0]["id"] for order in orders]
    packages = {p.pk: p for p in Package.objects.filter(pk__in=ids).select_related("order")}
    first, second, third, untouched = (packages[pk] for pk in ids)
    # Every sandbox order sells the same products; the third one's first item is another product.
    barcode = "8690000999999"
    OrderItem.objects.filter(pk=third.items.order_by("id").first().order_item_id).update(barcode=barcode)

    admin_login(page, live_server, *SUPERUSER, next_url="/ops/packages/?mode=select")
    expect(page.locator("[data-testid=worklist] tbody tr")).to_have_count(4)
    expect(page.locator("#id_scan")).to_be_focused()

    # A scanner types and presses Enter: an order number, a tracking number, an item barcode.
    for value in (first.order.number, "733051001", barcode):
        page.keyboard.type(value)
        page.keyboard.press("Enter")
        expect(page.locator("#id_scan")).to_have_value("")
    expect(page.locator("#selected-count")).to_have_text("3 selected")
    expect(page.locator(f"#pick-{untouched.pk}")).not_to_be_checked()
    expect(page.locator("#scan-status")).to_contain_text(third.number)
    screenshot(page, "worklist-selected", publish_as="worklist.png")

    _tab_to(page, "pack-selected")
    with page.expect_navigation(timeout=30_000):
        page.keyboard.press("Enter")

    results = page.locator("[data-testid=results] tbody tr")
    expect(results).to_have_count(3, timeout=15_000)
    expect(page.locator("[data-testid=results]")).not_to_contain_text("refused")
    expect(page.locator("[data-testid=worklist] tbody tr")).to_have_count(1)  # only the untouched one
    screenshot(page, "worklist-packed", publish_as="worklist-packed.png")
    assert {p.status for p in Package.objects.filter(pk__in=ids[:3])} == {PackageStatus.PACKED}
    assert set(StateTransitionLog.objects.values_list("source", flat=True)) == {"ops"}

    _tab_to(page, "print-packed")
    with page.expect_popup() as popup:
        page.keyboard.press("Enter")
    url = popup.value.url
    popup.value.close()
    assert url.startswith(f"{live_server.url}/api/v1/oms/packages/labels/?ids=")
    pdf = page.request.get(url)
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    source = tmp_path / "labels.pdf"
    source.write_bytes(pdf.body())
    text = subprocess.run(["pdftotext", source, "-"], check=True, capture_output=True, text=True).stdout
    for package in (first, second, third):
        assert package.order.tracking_number in text and package.number in text


def test_a_scan_of_one_package_opens_its_page(live_server, page, superuser, marketplace, ingest):
    order = ingest(pk=5200, items=1, tracking_number="733052000")
    admin_login(page, live_server, *SUPERUSER, next_url="/ops/packages/")
    expect(page.locator("#id_scan")).to_be_focused()

    page.keyboard.type(order["number"])
    page.keyboard.press("Enter")

    page.wait_for_url(f"{live_server.url}/ops/packages/{order['packages'][0]['id']}/")


def test_the_list_fits_a_phone(live_server, browser, superuser, marketplace, ingest, screenshot):
    for n in range(3):
        ingest(pk=5300 + n, items=3, tracking_number=f"73305300{n}")
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    admin_login(page, live_server, *SUPERUSER, next_url="/ops/packages/")

    expect(page.locator("[data-testid=worklist] tbody tr")).to_have_count(3)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "worklist-phone")
    context.close()
