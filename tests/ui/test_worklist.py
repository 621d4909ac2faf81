"""The packing work list page (`/ops/packages/`) through Django's test client."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from oms.core.statuses import PackageStatus
from oms.packages.models import Package
from oms.transitions.models import RefusedCommand, StateTransitionLog
from tests.ui.builders import make_cargo_company, make_channel, make_package, make_shipment

URL = "/ops/packages/"


def _listed(response) -> list[int]:
    assert response.status_code == 200
    return [row.package.pk for row in response.context["worklist"].rows]


@pytest.fixture
def floor(db):
    """Packages of two channels and two cargo companies, in every stage, with known ages."""
    trendyol, amazon = make_channel("Trendyol"), make_channel("Amazon")
    yurtici, aras = make_cargo_company("Yurtici Kargo"), make_cargo_company("Aras Kargo")
    now = timezone.now()
    rows = {
        "new": make_package(channel=trendyol, cargo_company=yurtici),
        "old": make_package(channel=amazon, cargo_company=aras, status=PackageStatus.PREPARING),
        "ready": make_package(channel=trendyol, cargo_company=aras, status=PackageStatus.READY_TO_PACK),
        "packed": make_package(channel=trendyol, cargo_company=yurtici, status=PackageStatus.PACKED),
        "shipped": make_package(channel=amazon, cargo_company=yurtici, status=PackageStatus.SHIPPED),
    }
    for age, key in enumerate(["new", "ready", "old", "packed", "shipped"]):
        Package.objects.filter(pk=rows[key].pk).update(created_at=now - timedelta(hours=age * 5))
    make_shipment(rows["packed"])
    return {"rows": rows, "trendyol": trendyol, "amazon": amazon, "yurtici": yurtici, "aras": aras}


def test_the_list_shows_packages_to_pack_oldest_first(staff_client, floor):
    rows = floor["rows"]

    response = staff_client.get(URL)

    assert _listed(response) == [rows["old"].pk, rows["ready"].pk, rows["new"].pk]
    html = response.content.decode()
    assert "10\xa0hours" in html  # the age of the oldest
    assert "autofocus" in html and 'id="id_scan"' in html


def test_filters_by_channel_cargo_company_and_stage(staff_client, floor):
    rows = floor["rows"]

    assert _listed(staff_client.get(URL, {"channel": floor["trendyol"].pk})) == [
        rows["ready"].pk,
        rows["new"].pk,
    ]
    assert _listed(staff_client.get(URL, {"cargo_company": floor["aras"].pk})) == [
        rows["old"].pk,
        rows["ready"].pk,
    ]
    assert _listed(staff_client.get(URL, {"stage": "packed"})) == [rows["packed"].pk]


def test_a_scan_matching_one_package_opens_it(staff_client, floor):
    package = floor["rows"]["packed"]

    response = staff_client.get(URL, {"scan": package.order.tracking_number})

    assert response.status_code == 302
    assert response["Location"] == f"/ops/packages/{package.pk}/"


@pytest.mark.parametrize("what", ["order", "barcode"])
def test_a_scan_in_select_mode_lists_the_matches(staff_client, floor, what):
    package = floor["rows"]["old"]
    value = package.order.number if what == "order" else f"{package.items.get().order_item.barcode}"

    response = staff_client.get(URL, {"scan": value, "mode": "select"})

    assert _listed(response) == [package.pk]


def test_a_scan_matching_several_lists_them(staff_client, floor):
    rows = floor["rows"]
    barcode = rows["new"].items.get().order_item
    rows["ready"].items.get().order_item.__class__.objects.filter(
        pk=rows["ready"].items.get().order_item_id
    ).update(barcode=barcode.barcode)

    response = staff_client.get(URL, {"scan": barcode.barcode})

    assert sorted(_listed(response)) == sorted([rows["new"].pk, rows["ready"].pk])
    html = response.content.decode()
    for package in (rows["new"], rows["ready"]):  # the matches come selected
        assert f'id="pick-{package.pk}" aria-label="Select {package.number}" checked' in html


def test_pack_selected_runs_the_bulk_engine_and_shows_each_result(staff_client, floor, staff_user):
    from oms.operations.marketplace import marketplace_setup

    marketplace_setup()
    rows = floor["rows"]
    # No route to a shipment client for these orders: packaging is refused, per package, recorded.
    response = staff_client.post(
        "/ops/packages/pack/", {"packages": [rows["old"].pk, rows["packed"].pk], "next": URL}
    )

    assert response.status_code == 302 and response["Location"] == URL
    page = staff_client.get(URL)
    results = page.context["results"]
    assert [(r["package_id"], r["done"]) for r in results] == [
        (rows["old"].pk, False),
        (rows["packed"].pk, False),
    ]
    assert "cannot run on package" in results[1]["message"]
    assert set(RefusedCommand.objects.values_list("source", "actor")) == {("ops", staff_user.pk)}
    assert not StateTransitionLog.objects.exists()
    assert staff_client.get(URL).context["results"] is None  # shown once


def test_pack_with_nothing_selected_says_so(staff_client, floor):
    response = staff_client.post("/ops/packages/pack/", {}, follow=True)

    assert "Select the packages to pack first" in response.content.decode()


def test_the_list_takes_a_fixed_number_of_queries(staff_client, floor):
    with CaptureQueriesContext(connection) as few:
        staff_client.get(URL)
    for _ in range(10):
        make_package(channel=floor["trendyol"], cargo_company=floor["yurtici"], items=3)

    with CaptureQueriesContext(connection) as many:
        staff_client.get(URL)

    assert len(many) == len(few)


def test_only_staff_see_the_list(client, plain_user):
    client.force_login(plain_user)

    assert client.get(URL).status_code == 302
    assert client.post("/ops/packages/pack/", {"packages": [1]}).status_code == 302
