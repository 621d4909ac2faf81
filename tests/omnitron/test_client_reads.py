"""Reading orders, channels and cargo companies; pagination and batching."""

from datetime import UTC, datetime, timedelta

import pytest

from oms.omnitron.client import OmnitronClient
from oms.omnitron.errors import OmnitronNotFound, OmnitronPayloadError
from oms.omnitron.mapping import order_from_json
from tests.omnitron.stubs import StubOmnitron

ORDERS = "/api/v1/orders/"


def test_order_get_reads_the_order(sandbox, client):
    created = sandbox.create_order(item_count=2, tracking_number="TRK-7")

    order = client.order_get(created["pk"])

    assert order == order_from_json(created)
    assert order.effective_tracking_number == "TRK-7"
    assert [item.pk for item in order.items] == [item["pk"] for item in created["orderitem_set"]]


def test_orders_iter_follows_next_across_pages(sandbox, client):
    created = [sandbox.create_order() for _ in range(5)]

    orders = list(client.orders_iter(page_size=2))

    assert [order.pk for order in orders] == [order["pk"] for order in created]
    listing = sandbox.requests(ORDERS)
    assert [entry["params"] for entry in listing] == [
        {"limit": "2"},
        {"limit": "2", "page": "2"},
        {"limit": "2", "page": "3"},
    ]


def test_orders_iter_sends_status_and_the_modified_range(sandbox, client):
    base = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    created = [
        sandbox.create_order(modified_date=(base + timedelta(hours=hour)).isoformat()) for hour in range(5)
    ]
    sandbox.set_status(created[2]["pk"], 500)  # no longer approved (and modified now)

    orders = list(
        client.orders_iter(
            status=400, modified_since=base + timedelta(hours=1), modified_until=base + timedelta(hours=3)
        )
    )

    assert [order.pk for order in orders] == [created[1]["pk"], created[3]["pk"]]
    (listing,) = sandbox.requests(ORDERS)
    assert listing["params"] == {
        "limit": "100",
        "status": "400",
        "modified_date__gte": "2026-11-20T10:00:00+00:00",
        "modified_date__lte": "2026-11-20T12:00:00+00:00",
    }


def test_orders_iter_treats_naive_datetimes_as_utc(sandbox, client):
    list(client.orders_iter(modified_since=datetime(2026, 11, 20, 9, 0)))

    assert sandbox.requests(ORDERS)[0]["params"]["modified_date__gte"] == "2026-11-20T09:00:00+00:00"


def test_orders_iter_stops_at_modified_until_even_if_the_server_ignores_it():
    def order_json(pk: int, hour: int) -> dict:
        return {
            "pk": pk,
            "number": f"N-{pk}",
            "channel": 42,
            "status": "400",
            "date_placed": "2026-11-20T08:00:00Z",
            "modified_date": f"2026-11-20T{hour:02d}:00:00Z",
            "orderitem_set": [],
        }

    def respond(method, path, query, body):
        if path == "/api/v1/auth/login/":
            return 200, {"key": "k"}
        results = [order_json(1, 9), order_json(2, 10), order_json(3, 11)]
        return 200, {"count": 3, "next": None, "previous": None, "results": results}

    with StubOmnitron(respond) as stub:
        OmnitronClient.token_cache_clear()
        with OmnitronClient(stub.url, "u", "p") as client:
            orders = list(client.orders_iter(modified_until=datetime(2026, 11, 20, 10, 30, tzinfo=UTC)))

    assert [order.pk for order in orders] == [1, 2]
    OmnitronClient.token_cache_clear()


def test_next_is_followed_even_when_it_names_another_host():
    pages = {
        "": {
            "count": 3,
            "next": "https://omnitron.internal/api/v1/channels/?limit=500&page=2",
            "results": [],
        },
        "2": {"count": 3, "next": None, "results": []},
    }
    pages[""]["results"] = [{"pk": 1, "name": "A", "channel_type": "web"}]
    pages["2"]["results"] = [{"pk": 2, "name": "B", "channel_type": "web"}]
    seen: list[str] = []

    def respond(method, path, query, body):
        if path == "/api/v1/auth/login/":
            return 200, {"key": "k"}
        seen.append(query)
        page = dict(part.split("=") for part in query.split("&")).get("page", "")
        return 200, pages[page]

    with StubOmnitron(respond) as stub:
        OmnitronClient.token_cache_clear()
        with OmnitronClient(stub.url, "u", "p") as client:
            channels = client.channels_list()

    assert [channel.pk for channel in channels] == [1, 2]
    assert seen == ["limit=500", "limit=500&page=2"]
    OmnitronClient.token_cache_clear()


def test_orders_get_many_reads_500_ids_per_request(sandbox, client):
    created = [sandbox.create_order() for _ in range(1201)]
    ids = [order["pk"] for order in created]

    orders = client.orders_get_many([*ids, 999999, ids[0]])

    assert sorted(order.pk for order in orders) == ids
    listing = sandbox.requests(ORDERS)
    assert len(listing) == 3
    assert [entry["params"]["limit"] for entry in listing] == ["500", "500", "500"]
    chunks = [entry["params"]["id__in"].split(",") for entry in listing]
    assert [len(chunk) for chunk in chunks] == [500, 500, 202]
    assert [int(pk) for chunk in chunks for pk in chunk] == [*ids, 999999]


def test_orders_get_many_of_nothing_sends_nothing(sandbox, client):
    assert client.orders_get_many([]) == []
    assert sandbox.requests() == []


def test_orders_get_many_leaves_out_unknown_ids(sandbox, client):
    created = sandbox.create_order()

    assert [order.pk for order in client.orders_get_many([created["pk"], 999999])] == [created["pk"]]


def test_channels_and_cargo_companies(sandbox, client):
    assert [channel.pk for channel in client.channels_list()] == [1, 42, 43, 44]
    assert client.channel_get(44).channel_type == "amazon"
    assert [company.erp_code for company in client.cargo_companies_list()] == [
        "yurtici-kargo",
        "aras-kargo",
        "trendyol-express",
    ]
    assert client.cargo_company_get(7).shipping_company == "yurtici"
    with pytest.raises(OmnitronNotFound):
        client.channel_get(999)
    with pytest.raises(OmnitronNotFound):
        client.cargo_company_get(999)


def test_channels_list_follows_pages(sandbox, client):
    for number in range(600):
        sandbox.create_channel(name=f"Channel {number}")

    channels = client.channels_list()

    assert len(channels) == 604
    assert len(sandbox.requests("/api/v1/channels/")) == 2


def test_an_unreadable_order_names_the_call_and_field():
    def respond(method, path, query, body):
        if path == "/api/v1/auth/login/":
            return 200, {"key": "k"}
        return 200, {"pk": 1, "number": "N", "channel": 42, "status": "400", "orderitem_set": []}

    with StubOmnitron(respond) as stub:
        OmnitronClient.token_cache_clear()
        client = OmnitronClient(stub.url, "u", "p")
        with client, pytest.raises(OmnitronPayloadError) as raised:
            client.order_get(1)

    assert raised.value.field == "date_placed"
    assert "GET /api/v1/orders/1/" in str(raised.value)
    OmnitronClient.token_cache_clear()
