"""Strict filters on every list, and the package search."""

from datetime import timedelta

import pytest
from django.utils import timezone

from oms.core.statuses import PackageStatus
from oms.packages.models import Package
from oms.shipments.models import Shipment
from tests.api.conftest import API, make_order, make_package

LISTS = [
    "orders/",
    "packages/",
    "shipments/",
    "channels/",
    "cargo-companies/",
    "cargo-company-conditions/",
    "state-transitions/",
    "settings/application_settings/",
    "shipment-observations/",
    "tracking-number-changes/",
]


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return sorted(row["id"] for row in response.json()["results"])


@pytest.mark.parametrize("path", LISTS)
def test_an_unknown_query_parameter_is_refused_naming_the_valid_ones(api, path):
    response = api.get(f"{API}/{path}?tracking_numbr=X")

    assert response.status_code == 400
    body = response.json()
    assert body["status_code"] == 400
    message = body["error"]["tracking_numbr"][0]
    assert "Unknown query parameter 'tracking_numbr'" in message
    assert "page, page_size, format" in message


@pytest.mark.parametrize("path", LISTS)
def test_paging_and_format_stay_valid_everywhere(api, path):
    response = api.get(f"{API}/{path}?page=1&page_size=5&format=json")

    assert response.status_code == 200, response.content


def test_packages_list_names_its_filters(api):
    message = api.get(f"{API}/packages/?nope=1").json()["error"]["nope"][0]

    for name in (
        "order_number",
        "order_omnitron_id",
        "tracking_number",
        "barcode",
        "sku",
        "status",
        "channel",
        "cargo_company",
        "created_after",
        "created_before",
        "packed_after",
        "packed_before",
        "search",
    ):
        assert name in message


def test_a_detail_url_is_not_a_list(api, channel_42):
    package = make_package(order=make_order(channel=channel_42))

    assert api.get(f"{API}/packages/{package.pk}/?anything=1").status_code == 200


@pytest.fixture
def three(channel_42, cargo_company_1):
    waiting = make_package(order=make_order(channel=channel_42, items=2))
    packed = make_package(
        order=make_order(channel=channel_42, cargo_company=cargo_company_1),
        status=PackageStatus.PACKED,
        shipment=True,
    )
    other = make_package(order=make_order(channel=channel_42), status=PackageStatus.PACKED, shipment=True)
    return waiting, packed, other


def test_packages_by_tracking_number(api, three):
    _, packed, _ = three

    assert _ids(api.get(f"{API}/packages/?tracking_number=TRK-{packed.pk}")) == [packed.pk]


def test_packages_by_item_barcode_and_sku_listed_once(api, three):
    waiting, _, _ = three
    item = waiting.items.select_related("order_item").first().order_item

    assert _ids(api.get(f"{API}/packages/?barcode={item.barcode}")) == [waiting.pk]
    assert _ids(api.get(f"{API}/packages/?sku={item.sku}")) == [waiting.pk]
    assert _ids(api.get(f"{API}/packages/?sku=nothing")) == []


def test_packages_by_order_omnitron_id_channel_cargo_company_and_status(api, three):
    _, packed, other = three

    assert _ids(api.get(f"{API}/packages/?order_omnitron_id={packed.order.omnitron_id}")) == [packed.pk]
    assert _ids(api.get(f"{API}/packages/?channel=42&status=packed")) == sorted([packed.pk, other.pk])
    assert _ids(api.get(f"{API}/packages/?cargo_company=1")) == [packed.pk]


def test_search_matches_order_number_tracking_number_and_barcode(api, three):
    waiting, packed, _ = three
    barcode = waiting.items.select_related("order_item").first().order_item.barcode

    assert _ids(api.get(f"{API}/packages/?search={packed.order.number}")) == [packed.pk]
    assert _ids(api.get(f"{API}/packages/?search=TRK-{packed.pk}")) == [packed.pk]
    assert _ids(api.get(f"{API}/packages/?search={barcode}")) == [waiting.pk]


def test_packages_by_created_and_packed_date_ranges(api, three):
    waiting, packed, other = three
    now = timezone.now()
    Package.objects.filter(pk=waiting.pk).update(created_at=now - timedelta(days=3))
    Shipment.objects.filter(package=other).update(created_at=now - timedelta(days=2))
    yesterday = (now - timedelta(days=1)).date().isoformat()

    assert _ids(api.get(f"{API}/packages/?created_before={yesterday}")) == [waiting.pk]
    assert _ids(api.get(f"{API}/packages/?created_after={yesterday}")) == sorted([packed.pk, other.pk])
    assert _ids(api.get(f"{API}/packages/?packed_after={yesterday}")) == [packed.pk]
    since = (now - timedelta(days=4)).isoformat().replace("+00:00", "Z")
    assert _ids(api.get(f"{API}/packages/?packed_after={since}&packed_before={yesterday}")) == [other.pk]


@pytest.mark.parametrize("name", ["created_after", "created_before", "packed_after", "packed_before"])
def test_a_bad_date_is_refused_under_its_name(api, name):
    response = api.get(f"{API}/packages/?{name}=yesterday")

    assert response.status_code == 400
    assert "ISO-8601" in response.json()["error"][name][0]


def test_a_date_time_with_any_offset_is_compared_in_utc(api, three):
    # PostgreSQL refuses offsets beyond ±15:59 that Python accepts; OMS compares in UTC.
    response = api.get(f"{API}/packages/?created_before=0273-11-11T19:50:51.235%2B23:01")

    assert response.status_code == 200
    assert response.json()["count"] == 0
    same_instant = api.get(f"{API}/packages/?created_after=2000-01-01T23:00:00%2B23:01")
    assert _ids(same_instant) == sorted(p.pk for p in three)


@pytest.mark.parametrize("name", ["created_after", "packed_before"])
def test_a_date_time_that_leaves_the_calendar_in_utc_is_refused(api, name):
    response = api.get(f"{API}/packages/?{name}=0001-01-01T00:00:00%2B05:00")

    assert response.status_code == 400
    assert "year 1 to 9999" in response.json()["error"][name][0]
