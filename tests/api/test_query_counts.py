"""List endpoints run the same number of queries for 1 row as for 20 (no N+1)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from oms.core.statuses import PackageStatus
from oms.transitions.models import StateTransition
from tests.api.conftest import API, make_order, make_package


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.fixture
def transitions(db):
    StateTransition.objects.create(
        model="package",
        command="PREPARE_PACKAGE",
        slug="PREPARE_PACKAGE",
        source_state=100,
        destination_state=200,
    )


def _packages(channel, cargo_company, n: int) -> None:
    for i in range(n):
        order = make_order(channel=channel, items=2, cargo_company=cargo_company)
        make_package(
            order=order, status=PackageStatus.PACKED if i % 2 else PackageStatus.WAITING, shipment=bool(i % 2)
        )


def test_packages_list_queries_do_not_grow_with_rows(api, channel_42, cargo_company_1, transitions):
    _packages(channel_42, cargo_company_1, 1)
    one = _queries(api, f"{API}/packages/")
    _packages(channel_42, cargo_company_1, 19)

    twenty = _queries(api, f"{API}/packages/")

    assert twenty == one


def test_orders_list_queries_do_not_grow_with_rows(api, channel_42, cargo_company_1):
    _packages(channel_42, cargo_company_1, 1)
    one = _queries(api, f"{API}/orders/")
    _packages(channel_42, cargo_company_1, 19)

    twenty = _queries(api, f"{API}/orders/")

    assert twenty == one


def test_shipments_list_queries_do_not_grow_with_rows(api, channel_42, cargo_company_1):
    _packages(channel_42, cargo_company_1, 2)
    one = _queries(api, f"{API}/shipments/")
    _packages(channel_42, cargo_company_1, 38)

    twenty = _queries(api, f"{API}/shipments/")

    assert twenty == one


def test_packages_list_runs_a_small_fixed_number_of_queries(
    api, channel_42, cargo_company_1, transitions, django_assert_max_num_queries
):
    _packages(channel_42, cargo_company_1, 20)

    # token, count, packages (+order, location, shipment), items, transitions
    with django_assert_max_num_queries(6):
        response = api.get(f"{API}/packages/")

    assert len(response.json()["results"]) == 20


def test_filtered_packages_list_queries_do_not_grow_with_rows(api, channel_42, cargo_company_1, transitions):
    query = "channel=42&created_after=2000-01-01&packed_before=2999-01-01"
    _packages(channel_42, cargo_company_1, 2)
    one = _queries(api, f"{API}/packages/?{query}&status=packed")
    _packages(channel_42, cargo_company_1, 38)

    twenty = _queries(api, f"{API}/packages/?{query}&status=packed")

    assert twenty == one
