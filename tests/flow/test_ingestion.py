import pytest

from oms.orders.models import Order, OrderItem
from oms.packages.models import Package, PackageItem
from tests.factories import cargo_company, marketplace_channel, omnitron_order_json

URL = "/api/v1/oms/omnitron/orders/"


@pytest.fixture
def known_channel(db):
    return marketplace_channel()


def test_a_new_order_creates_order_items_and_one_waiting_package(api, known_channel):
    company = cargo_company()
    body = omnitron_order_json(pk=1001, items=3)

    response = api.post(URL, body, format="json")

    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["omnitron_id"] == 1001
    assert data["status"] == "approved" and data["status_code"] == 400
    assert data["tracking_number"] == "7330012345678"
    assert data["cargo_company"] == company.pk
    assert [item["status_code"] for item in data["items"]] == [400, 400, 400]
    assert len(data["packages"]) == 1
    assert data["packages"][0]["status"] == "waiting" and data["packages"][0]["status_code"] == 100
    package = Package.objects.get()
    assert package.stock_location.is_default
    assert PackageItem.objects.filter(package=package, status=100).count() == 3
    assert sorted(OrderItem.objects.values_list("omnitron_id", flat=True)) == [100101, 100102, 100103]


@pytest.mark.parametrize("items", [1, 3])
def test_the_201_answer_is_the_order_as_get_shows_it(api, known_channel, items):
    # The new order is answered from what was written, without reading it back: it must still be
    # exactly what GET /orders/{id}/ returns (decimals, dates in UTC, item and package order).
    cargo_company()
    body = omnitron_order_json(pk=1011, items=items)
    body["date_placed"] = "2026-11-20T12:30:00.123456+03:00"
    body["amount"] = "349.8"

    created = api.post(URL, body, format="json")
    again = api.post(URL, body, format="json")
    read = api.get(f"/api/v1/oms/orders/{created.json()['id']}/")

    assert (created.status_code, again.status_code, read.status_code) == (201, 200, 200)
    assert created.json() == read.json() == again.json()
    assert created.json()["date_placed"] == "2026-11-20T09:30:00.123456Z"
    assert created.json()["amount"] == "349.80"


def test_ingesting_a_new_order_runs_a_fixed_number_of_queries(
    api, known_channel, django_assert_max_num_queries
):
    cargo_company()
    api.post(URL, omnitron_order_json(pk=1012, items=1), format="json")  # the default location exists

    # token, channel, cargo company, location, then the order, its items, its package
    # and the package items in one transaction (its savepoint and release count here too), and the
    # look-up of webhook subscriptions to package.created (none here, so no event row is written).
    with django_assert_max_num_queries(11):
        response = api.post(URL, omnitron_order_json(pk=1013, items=50), format="json")

    assert response.status_code == 201
    assert len(response.json()["items"]) == 50


def test_the_same_order_twice_gives_one_order_and_200(api, known_channel):
    body = omnitron_order_json(pk=1002)

    first = api.post(URL, body, format="json")
    second = api.post(URL, body, format="json")

    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["id"] == first.json()["id"]
    assert Order.objects.count() == 1 and Package.objects.count() == 1


def test_the_tracking_number_falls_back_to_the_items(api, known_channel):
    body = omnitron_order_json(pk=1003, tracking_number="", item_tracking_number="ITEM-TRK-1")

    response = api.post(URL, body, format="json")

    assert response.status_code == 201
    assert response.json()["tracking_number"] == "ITEM-TRK-1"


def test_an_unknown_cargo_company_is_ingested_and_the_gap_is_visible(api, known_channel):
    body = omnitron_order_json(pk=1004, cargo_company=99)

    response = api.post(URL, body, format="json")

    assert response.status_code == 201
    data = response.json()
    assert data["cargo_company"] is None
    assert data["omnitron_cargo_company_id"] == 99
    assert "99" in data["warnings"][0] and "sync_cargo_companies" in data["warnings"][0]


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda b: b.pop("number"), "number"),
        (lambda b: b.update(channel="forty-two"), "channel"),
        (lambda b: b["orderitem_set"][0].pop("pk"), "orderitem_set[0].pk"),
        (lambda b: b.update(orderitem_set="nope"), "orderitem_set"),
        (lambda b: b.update(status="abc"), "status"),
    ],
)
def test_a_malformed_order_is_refused_naming_the_field_and_nothing_is_stored(
    api, known_channel, mutate, field
):
    body = omnitron_order_json(pk=1005)
    mutate(body)

    response = api.post(URL, body, format="json")

    assert response.status_code == 400, response.json()
    assert field in response.json()["error"], response.json()
    assert Order.objects.count() == 0 and Package.objects.count() == 0


def test_an_order_without_items_is_refused(api, known_channel):
    body = omnitron_order_json(pk=1006)
    body["orderitem_set"] = []

    response = api.post(URL, body, format="json")

    assert response.status_code == 400
    assert Order.objects.count() == 0


def test_an_order_not_yet_approved_is_refused(api, known_channel):
    response = api.post(URL, omnitron_order_json(pk=1007, status="200"), format="json")

    assert response.status_code == 400
    assert "approved" in response.json()["error"]["status"][0]
    assert Order.objects.count() == 0


def test_an_ingested_order_sent_again_after_it_was_cancelled_answers_200_with_it(api, known_channel):
    first = api.post(URL, omnitron_order_json(pk=1014), format="json")

    again = api.post(URL, omnitron_order_json(pk=1014, status="100"), format="json")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert Order.objects.count() == 1


def test_an_item_pk_that_belongs_to_another_order_is_refused_and_rolled_back(api, known_channel):
    api.post(URL, omnitron_order_json(pk=1008), format="json")
    clash = omnitron_order_json(pk=1009)
    clash["orderitem_set"][0]["pk"] = 100801

    response = api.post(URL, clash, format="json")

    assert response.status_code == 400
    assert "100801" in response.json()["error"]["orderitem_set"][0]
    assert list(Order.objects.values_list("omnitron_id", flat=True)) == [1008]
    assert Package.objects.count() == 1


def test_ingestion_needs_a_token(anon, known_channel):
    response = anon.post(URL, omnitron_order_json(pk=1010), format="json")

    assert response.status_code == 401
    assert Order.objects.count() == 0


def test_creating_the_missing_cargo_company_links_the_orders_waiting_for_it(api, known_channel):
    api.post(URL, omnitron_order_json(pk=1011, cargo_company=99), format="json")

    response = api.post(
        "/api/v1/oms/cargo-companies/", {"name": "Aras Kargo", "omnitron_id": 99}, format="json"
    )

    assert response.status_code == 201
    order = api.get("/api/v1/oms/orders/?omnitron_id=1011").json()["results"][0]
    assert order["cargo_company"] == response.json()["id"]
    assert order["warnings"] == []
