"""Orders: wire format, detail, list filters, ordering and pagination."""

from datetime import UTC, datetime, timedelta

import pytest

from oms.sandbox import SandboxError

ORDER_KEYS = {
    "pk",
    "number",
    "channel",
    "status",
    "date_placed",
    "modified_date",
    "currency",
    "amount",
    "shipping_amount",
    "cargo_company",
    "tracking_number",
    "delivery_type",
    "shipping_option_slug",
    "extra_field",
    "orderitem_set",
}
ITEM_KEYS = {"pk", "product", "status", "price", "price_currency", "tracking_number", "extra_field"}


def test_control_endpoint_creates_an_order_in_the_contract_format(http):
    response = http.post(
        "/_sandbox/orders/",
        json={
            "channel": 42,
            "cargo_company": 7,
            "tracking_number": "7330012345678",
            "number": "TY-2026-000123",
            "items": [
                {"sku": "SKU-1", "barcode": "8690000000017", "name": "T-shirt", "price": "174.90"},
                {"sku": "SKU-1", "barcode": "8690000000017", "name": "T-shirt", "price": 174.9},
            ],
        },
    )

    assert response.status_code == 201
    order = response.json()
    assert set(order) == ORDER_KEYS
    assert order["pk"] >= 1001
    assert (order["number"], order["channel"], order["cargo_company"]) == ("TY-2026-000123", 42, 7)
    assert order["status"] == "400"
    assert order["tracking_number"] == "7330012345678"
    assert order["amount"] == "349.80"
    assert order["modified_date"].endswith("Z")
    first, second = order["orderitem_set"]
    assert set(first) == ITEM_KEYS
    assert first["status"] == "400"
    assert first["product"] == second["product"]
    assert set(first["product"]) == {"pk", "sku", "barcode", "name"}
    assert first["product"]["sku"] == "SKU-1"
    assert second["pk"] == first["pk"] + 1
    assert first["price"] == second["price"] == "174.90"


def test_created_orders_get_increasing_pks(sandbox):
    first = sandbox.create_order()
    second = sandbox.create_order(item_count=3)

    assert second["pk"] == first["pk"] + 1
    assert len(second["orderitem_set"]) == 3
    assert second["orderitem_set"][0]["pk"] > first["orderitem_set"][-1]["pk"]


def test_order_with_unknown_channel_is_refused(http, sandbox):
    response = http.post("/_sandbox/orders/", json={"channel": 999, "item_count": 1})

    assert response.status_code == 400
    assert "channel" in response.json()
    assert sandbox.orders() == []


def test_item_tracking_number_and_status_are_kept(sandbox):
    order = sandbox.create_order(
        tracking_number="", items=[{"sku": "A", "tracking_number": "TRK-1"}], status="450"
    )

    assert order["tracking_number"] == ""
    assert order["orderitem_set"][0]["tracking_number"] == "TRK-1"
    assert order["orderitem_set"][0]["status"] == "450"


def test_order_detail_and_404(sandbox, authed):
    order = sandbox.create_order()

    assert authed.get(f"/api/v1/orders/{order['pk']}/").json() == order
    missing = authed.get("/api/v1/orders/999999/")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Not found."}


def test_status_control_sets_order_and_items_and_bumps_modified_date(sandbox, http):
    order = sandbox.create_order(item_count=2)

    response = http.post(
        f"/_sandbox/orders/{order['pk']}/status/", json={"status": "500", "tracking_number": "T-9"}
    )

    assert response.status_code == 200
    changed = sandbox.order(order["pk"])
    assert changed["status"] == "500"
    assert {item["status"] for item in changed["orderitem_set"]} == {"500"}
    assert changed["tracking_number"] == "T-9"
    assert changed["modified_date"] > order["modified_date"]


def test_status_control_refuses_unknown_codes_and_orders(sandbox, http):
    order = sandbox.create_order()

    assert http.post(f"/_sandbox/orders/{order['pk']}/status/", json={"status": "999"}).status_code == 400
    assert http.post("/_sandbox/orders/999999/status/", json={"status": "500"}).status_code == 404
    with pytest.raises(SandboxError):
        sandbox.set_status(order["pk"], 12)


def test_list_is_paginated_with_absolute_next_and_previous(sandbox, authed):
    for _ in range(5):
        sandbox.create_order()

    first = authed.get("/api/v1/orders/", params={"limit": 2}).json()
    second = authed.get(first["next"]).json()
    third = authed.get(second["next"]).json()

    assert first["count"] == 5
    assert first["previous"] is None
    assert first["next"] == f"{sandbox.url}/api/v1/orders/?limit=2&page=2"
    assert second["previous"] == f"{sandbox.url}/api/v1/orders/?limit=2"
    assert third["next"] is None
    assert [len(page["results"]) for page in (first, second, third)] == [2, 2, 1]


def test_list_default_limit_is_10_and_at_most_500(sandbox, authed):
    for _ in range(12):
        sandbox.create_order()

    assert len(authed.get("/api/v1/orders/").json()["results"]) == 10
    assert len(authed.get("/api/v1/orders/", params={"limit": 100000}).json()["results"]) == 12


def test_page_out_of_range_answers_404(sandbox, authed):
    sandbox.create_order()

    assert authed.get("/api/v1/orders/", params={"page": 1}).status_code == 200
    response = authed.get("/api/v1/orders/", params={"page": 2})
    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid page."}


def test_empty_list_has_one_empty_page(authed):
    assert authed.get("/api/v1/orders/").json() == {"count": 0, "next": None, "previous": None, "results": []}


def test_filter_by_id_in_skips_unknown_ids(sandbox, authed):
    orders = [sandbox.create_order() for _ in range(3)]

    response = authed.get("/api/v1/orders/", params={"id__in": f"{orders[0]['pk']},{orders[2]['pk']},999999"})

    assert [order["pk"] for order in response.json()["results"]] == [orders[0]["pk"], orders[2]["pk"]]


def test_filter_by_id_in_refuses_non_numbers(authed):
    response = authed.get("/api/v1/orders/", params={"id__in": "1,x"})

    assert response.status_code == 400
    assert "id__in" in response.json()


def test_filter_by_status(sandbox, authed):
    approved = sandbox.create_order()
    shipped = sandbox.create_order()
    sandbox.set_status(shipped["pk"], 500)

    results = authed.get("/api/v1/orders/", params={"status": "400"}).json()["results"]

    assert [order["pk"] for order in results] == [approved["pk"]]


def test_filter_by_modified_date_range(sandbox, authed):
    base = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    orders = [
        sandbox.create_order(modified_date=(base + timedelta(hours=hour)).isoformat()) for hour in range(4)
    ]

    results = authed.get(
        "/api/v1/orders/",
        params={
            "modified_date__gte": (base + timedelta(hours=1)).isoformat(),
            "modified_date__lte": (base + timedelta(hours=2)).isoformat().replace("+00:00", "Z"),
        },
    ).json()["results"]

    assert [order["pk"] for order in results] == [orders[1]["pk"], orders[2]["pk"]]


def test_bad_modified_date_is_refused(authed):
    response = authed.get("/api/v1/orders/", params={"modified_date__gte": "yesterday"})

    assert response.status_code == 400
    assert "modified_date__gte" in response.json()


def test_list_is_ordered_by_modified_date_then_pk(sandbox, authed):
    same = "2020-01-01T09:00:00Z"
    late = sandbox.create_order(modified_date="2020-01-02T09:00:00Z")
    first = sandbox.create_order(modified_date=same)
    second = sandbox.create_order(modified_date=same)
    sandbox.set_status(first["pk"], 450)  # now the most recently modified

    results = authed.get("/api/v1/orders/").json()["results"]

    assert [order["pk"] for order in results] == [second["pk"], late["pk"], first["pk"]]
