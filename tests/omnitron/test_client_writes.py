"""Setting order item statuses."""

import pytest

from oms.omnitron.errors import OmnitronNotFound, OmnitronRejected

BULK = "/api/i1/order_items/bulk_status_update/"


def test_bulk_update_sends_exactly_the_contract_payload(sandbox, client):
    order = sandbox.create_order(item_count=2)
    first, second = (item["pk"] for item in order["orderitem_set"])

    answer = client.order_items_status_update({second: 450, first: 450})

    assert answer == {first: 450, second: 450}
    (request,) = sandbox.requests(BULK)
    assert request["method"] == "PATCH"
    assert request["body"] == {
        "orderitem_set": [{"id": first, "status": "450"}, {"id": second, "status": "450"}]
    }
    assert [item["status"] for item in sandbox.order(order["pk"])["orderitem_set"]] == ["450", "450"]


def test_bulk_update_of_nothing_sends_nothing(sandbox, client):
    assert client.order_items_status_update({}) == {}
    assert sandbox.requests() == []


def test_bulk_update_rejected_changes_nothing(sandbox, client):
    order = sandbox.create_order(item_count=1)

    with pytest.raises(OmnitronRejected) as raised:
        client.order_items_status_update({order["orderitem_set"][0]["pk"]: 450, 999999: 450})

    assert raised.value.status_code == 400
    assert f"PATCH {BULK}" in str(raised.value)
    assert "999999" in str(raised.value)
    assert sandbox.order(order["pk"]) == order


def test_repeating_a_bulk_update_is_harmless(sandbox, client):
    order = sandbox.create_order(item_count=1)
    item = order["orderitem_set"][0]["pk"]

    client.order_items_status_update({item: 450})
    assert client.order_items_status_update({item: 450}) == {item: 450}


def test_single_item_update(sandbox, client):
    order = sandbox.create_order(item_count=1)
    item = order["orderitem_set"][0]

    updated = client.order_item_status_update(item["pk"], 450)

    assert (updated.pk, updated.status, updated.sku) == (item["pk"], 450, item["product"]["sku"])
    (request,) = sandbox.requests("/api/v1/order_items/")
    assert (request["method"], request["path"], request["body"]) == (
        "PATCH",
        f"/api/v1/order_items/{item['pk']}/",
        {"status": "450"},
    )


def test_single_item_update_of_unknown_item(client):
    with pytest.raises(OmnitronNotFound):
        client.order_item_status_update(999999, 450)
