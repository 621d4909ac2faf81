from oms.channels.models import Channel
from oms.core.statuses import OrderStatus, PackageStatus
from oms.orders.models import Order
from tests.api.conftest import API, make_order, make_package

URL = f"{API}/orders/"


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_an_order_shows_its_items_and_packages_with_status_names_and_codes(api, channel_42):
    order = make_order(channel=channel_42, items=2)
    package = make_package(order=order)

    response = api.get(f"{URL}{order.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert (body["number"], body["omnitron_id"], body["channel"]) == (order.number, order.omnitron_id, 42)
    assert (body["status"], body["status_code"]) == ("approved", 400)
    assert [(i["omnitron_id"], i["status"], i["status_code"]) for i in body["items"]] == [
        (item.omnitron_id, "approved", 400) for item in order.items.order_by("id")
    ]
    assert body["packages"] == [
        {"id": package.pk, "number": package.number, "status": "waiting", "status_code": 100}
    ]


def test_orders_list_is_paginated_newest_first(api, channel_42):
    first, second = make_order(channel=channel_42), make_order(channel=channel_42)

    response = api.get(URL)

    body = response.json()
    assert (body["count"], body["next"], body["previous"]) == (2, None, None)
    assert [row["id"] for row in body["results"]] == [second.pk, first.pk]


def test_filter_orders_by_number(api, channel_42):
    wanted = make_order(channel=channel_42)
    make_order(channel=channel_42)

    assert _ids(api.get(URL, {"number": wanted.number})) == [wanted.pk]


def test_filter_orders_by_omnitron_id(api, channel_42):
    wanted = make_order(channel=channel_42)
    make_order(channel=channel_42)

    assert _ids(api.get(URL, {"omnitron_id": wanted.omnitron_id})) == [wanted.pk]


def test_filter_orders_by_channel(api, channel_42):
    other = Channel.objects.create(name="Other", channel_type="web")
    wanted = make_order(channel=channel_42)
    make_order(channel=other)

    assert _ids(api.get(URL, {"channel": 42})) == [wanted.pk]


def test_filter_orders_by_status_name(api, channel_42):
    wanted = make_order(channel=channel_42, status=OrderStatus.PREPARING)
    make_order(channel=channel_42)

    assert _ids(api.get(URL, {"status": "preparing"})) == [wanted.pk]


def test_filter_orders_by_status_code(api, channel_42):
    wanted = make_order(channel=channel_42, status=OrderStatus.SHIPPED)
    make_order(channel=channel_42)

    assert _ids(api.get(URL, {"status": "500"})) == [wanted.pk]


def test_an_unknown_status_filter_answers_400_listing_the_statuses(api, channel_42):
    response = api.get(URL, {"status": "lost"})

    assert response.status_code == 400
    message = response.json()["error"]["status"][0]
    assert message.startswith("Unknown status 'lost'. Use one of: cancellation_waiting, cancelled,")
    assert "approved" in message


def test_a_non_numeric_omnitron_id_filter_answers_400(api, db):
    response = api.get(URL, {"omnitron_id": "abc"})

    assert response.status_code == 400
    assert list(response.json()["error"]) == ["omnitron_id"]


def test_page_size_selects_a_page(api, channel_42):
    orders = [make_order(channel=channel_42) for _ in range(3)]

    response = api.get(URL, {"page_size": 2, "page": 2})

    body = response.json()
    assert body["count"] == 3
    assert [row["id"] for row in body["results"]] == [orders[0].pk]
    assert body["next"] is None
    assert "page_size=2" in body["previous"]


def test_page_size_is_capped_at_500(api, channel_42):
    Order.objects.bulk_create(
        Order(omnitron_id=n, number=f"BULK-{n}", channel=channel_42) for n in range(1, 502)
    )

    response = api.get(URL, {"page_size": 1000})

    body = response.json()
    assert body["count"] == 501
    assert len(body["results"]) == 500
    assert "page=2" in body["next"]


def test_a_page_past_the_end_answers_404_saying_what_to_do(api, channel_42):
    make_order(channel=channel_42)

    response = api.get(URL, {"page": 5})

    assert response.status_code == 404
    assert response.json() == {
        "error": {
            "non_field_errors": [
                "Page '5' does not exist: That page contains no results. Pages are numbered from 1; "
                "follow the 'next' and 'previous' links of the list."
            ]
        },
        "status_code": 404,
    }


def test_a_clerk_can_read_orders(clerk_api, channel_42):
    order = make_order(channel=channel_42)

    assert _ids(clerk_api.get(URL)) == [order.pk]


def test_an_unknown_order_answers_404(api, db):
    assert api.get(f"{URL}999/").status_code == 404


def test_package_status_shows_in_the_order(api, channel_42):
    order = make_order(channel=channel_42)
    make_package(order=order, status=PackageStatus.PACKED)

    response = api.get(f"{URL}{order.pk}/")

    assert response.json()["packages"][0]["status"] == "packed"
