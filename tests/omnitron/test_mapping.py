"""Pure mapping between Omnitron JSON and typed values."""

import copy
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from oms.omnitron.errors import OmnitronPayloadError
from oms.omnitron.mapping import (
    bulk_status_from_json,
    bulk_status_payload,
    cargo_company_from_json,
    channel_from_json,
    item_status_payload,
    order_from_json,
    order_to_json,
    page_from_json,
)
from oms.omnitron.types import OmnitronCargoCompany, OmnitronChannel

CONTRACT_ORDER = {
    "pk": 1001,
    "number": "TY-2026-000123",
    "channel": 42,
    "status": "400",
    "date_placed": "2026-11-20T09:30:00Z",
    "modified_date": "2026-11-20T09:31:12Z",
    "currency": "try",
    "amount": "349.80",
    "shipping_amount": "0.00",
    "cargo_company": 7,
    "tracking_number": "7330012345678",
    "delivery_type": "standard",
    "shipping_option_slug": "standard",
    "extra_field": {"id": "TY-PKG-555"},
    "orderitem_set": [
        {
            "pk": 5001,
            "product": {"pk": 77, "sku": "SKU-1", "barcode": "8690000000017", "name": "T-shirt"},
            "status": "400",
            "price": "174.90",
            "price_currency": "try",
            "tracking_number": "",
            "extra_field": {},
        },
        {
            "pk": 5002,
            "product": {"pk": 77, "sku": "SKU-1", "barcode": "8690000000017", "name": "T-shirt"},
            "status": "450",
            "price": "174.90",
            "price_currency": "try",
            "tracking_number": "",
            "extra_field": {"id": "line-2"},
        },
    ],
}


def contract_order() -> dict:
    return copy.deepcopy(CONTRACT_ORDER)


def test_a_contract_order_maps_to_typed_values():
    order = order_from_json(contract_order())

    assert (order.pk, order.number, order.channel, order.status) == (1001, "TY-2026-000123", 42, 400)
    assert order.date_placed == datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    assert order.modified_date == datetime(2026, 11, 20, 9, 31, 12, tzinfo=UTC)
    assert (order.amount, order.shipping_amount, order.currency) == (
        Decimal("349.80"),
        Decimal("0.00"),
        "try",
    )
    assert (order.cargo_company, order.tracking_number) == (7, "7330012345678")
    assert order.extra_field == {"id": "TY-PKG-555"}
    first, second = order.items
    assert (first.pk, first.product_pk, first.sku, first.barcode, first.name) == (
        5001,
        77,
        "SKU-1",
        "8690000000017",
        "T-shirt",
    )
    assert (first.status, second.status) == (400, 450)
    assert first.price == Decimal("174.90")
    assert second.extra_field == {"id": "line-2"}
    assert order.raw == CONTRACT_ORDER


def test_the_typed_order_maps_back_to_the_wire_format():
    assert order_to_json(order_from_json(contract_order())) == CONTRACT_ORDER


def test_unknown_extra_fields_are_ignored():
    data = contract_order()
    data["customer"] = 12
    data["is_send"] = False
    data["orderitem_set"][0]["retail_price"] = "200.00"
    data["orderitem_set"][0]["product"]["attributes"] = {"color": "red"}

    assert order_from_json(data) == order_from_json(contract_order())


def test_optional_fields_may_be_null_or_absent():
    data = contract_order()
    data["tracking_number"] = None
    data["cargo_company"] = None
    data["extra_field"] = None
    del data["delivery_type"]
    del data["orderitem_set"][0]["tracking_number"]

    order = order_from_json(data)

    assert (order.tracking_number, order.cargo_company, order.extra_field, order.delivery_type) == (
        "",
        None,
        {},
        "",
    )
    assert order.items[0].tracking_number == ""


def test_item_tracking_numbers_are_read_and_used_when_the_order_has_none():
    data = contract_order()
    data["tracking_number"] = ""
    data["orderitem_set"][1]["tracking_number"] = "ITEM-TRK-2"

    order = order_from_json(data)

    assert order.items[1].tracking_number == "ITEM-TRK-2"
    assert order.effective_tracking_number == "ITEM-TRK-2"
    assert order_from_json(contract_order()).effective_tracking_number == "7330012345678"


def test_statuses_sent_as_integers_are_read_too():
    data = contract_order()
    data["status"] = 500

    assert order_from_json(data).status == 500


def _without(path):
    def mutate(data):
        *parents, last = path
        target = data
        for key in parents:
            target = target[key]
        del target[last]

    return mutate


def _set(path, value):
    def mutate(data):
        *parents, last = path
        target = data
        for key in parents:
            target = target[key]
        target[last] = value

    return mutate


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (_without(["pk"]), "pk"),
        (_without(["number"]), "number"),
        (_without(["channel"]), "channel"),
        (_without(["status"]), "status"),
        (_without(["date_placed"]), "date_placed"),
        (_without(["modified_date"]), "modified_date"),
        (_without(["orderitem_set"]), "orderitem_set"),
        (_set(["orderitem_set"], {"pk": 1}), "orderitem_set"),
        (_set(["pk"], "abc"), "pk"),
        (_set(["pk"], True), "pk"),
        (_set(["status"], "approved"), "status"),
        (_set(["status"], None), "status"),
        (_set(["date_placed"], "yesterday"), "date_placed"),
        (_set(["amount"], "lots"), "amount"),
        (_set(["cargo_company"], "seven"), "cargo_company"),
        (_set(["extra_field"], "x"), "extra_field"),
        (_without(["orderitem_set", 1, "pk"]), "orderitem_set[1].pk"),
        (_without(["orderitem_set", 0, "product"]), "orderitem_set[0].product"),
        (_set(["orderitem_set", 0, "product"], 77), "orderitem_set[0].product"),
        (_without(["orderitem_set", 1, "product", "sku"]), "orderitem_set[1].product.sku"),
        (_set(["orderitem_set", 1, "product", "pk"], None), "orderitem_set[1].product.pk"),
        (_set(["orderitem_set", 0, "price"], None), "orderitem_set[0].price"),
        (_set(["orderitem_set", 1, "status"], "x"), "orderitem_set[1].status"),
        (_set(["orderitem_set", 1, "tracking_number"], 5), "orderitem_set[1].tracking_number"),
    ],
)
def test_missing_or_malformed_fields_name_their_path(mutate, field):
    data = contract_order()
    mutate(data)

    with pytest.raises(OmnitronPayloadError) as raised:
        order_from_json(data)

    assert raised.value.field == field
    assert field in str(raised.value)


def test_an_order_must_be_an_object():
    with pytest.raises(OmnitronPayloadError) as raised:
        order_from_json(["not", "an", "order"])

    assert "JSON object" in str(raised.value)


def test_naive_dates_are_utc():
    data = contract_order()
    data["date_placed"] = "2026-11-20T09:30:00"

    assert order_from_json(data).date_placed == datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def test_channels_and_cargo_companies():
    assert channel_from_json(
        {"pk": 42, "name": "Trendyol", "channel_type": "sales_channel", "is_active": True, "conf": {}}
    ) == OmnitronChannel(pk=42, name="Trendyol", channel_type="sales_channel", is_active=True)
    assert cargo_company_from_json(
        {"pk": 7, "name": "Yurtici Kargo", "erp_code": "yurtici-kargo", "shipping_company": "yurtici"}
    ) == OmnitronCargoCompany(
        pk=7, name="Yurtici Kargo", erp_code="yurtici-kargo", shipping_company="yurtici"
    )
    with pytest.raises(OmnitronPayloadError) as raised:
        channel_from_json({"pk": 42, "name": "Trendyol", "is_active": "yes"})
    assert raised.value.field == "is_active"


def test_bulk_status_payload_is_exactly_the_contract():
    assert bulk_status_payload({5002: 450, 5001: 450}) == {
        "orderitem_set": [{"id": 5001, "status": "450"}, {"id": 5002, "status": "450"}]
    }
    assert item_status_payload(450) == {"status": "450"}


def test_bulk_status_answer_maps_to_ints():
    answer = {"orderitem_set": [{"id": 5001, "status": "450"}, {"id": 5002, "status": "450"}]}

    assert bulk_status_from_json(answer) == {5001: 450, 5002: 450}
    with pytest.raises(OmnitronPayloadError) as raised:
        bulk_status_from_json({"orderitem_set": [{"id": 5001}]})
    assert raised.value.field == "orderitem_set[0].status"


def test_pages():
    assert page_from_json({"count": 1, "next": None, "previous": None, "results": [1]}) == ([1], None)
    with pytest.raises(OmnitronPayloadError):
        page_from_json({"count": 1})
