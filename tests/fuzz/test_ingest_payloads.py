"""Fuzzing `POST /api/v1/oms/omnitron/orders/` with generated Omnitron orders, in process.

The OpenAPI schema documents this body as a free-form object (`OpenApiTypes.OBJECT`), so the schema
fuzzer (test_schema.py) only ever sends it shapeless objects. Here orders are generated in the
contract's shape (the strategies of tests/properties/test_mapping_properties.py):

- orders whose values fit what OMS stores are ingested (201), ingested again idempotently (200) and
  read back;
- an order with one hostile value in one field (wrong types, huge or negative numbers, long
  strings, odd dates, non-ASCII digits, NUL characters, deep JSON) never answers 5xx, answers
  4xx in the error envelope, and leaves the order and package lists readable; a value OMS cannot
  store (`_unstorable`: a pk outside 1..2**63-1, a decimal beyond its column, a date outside years
  1..9999 in UTC, a string longer than its column, a NUL character) answers 400 naming that field.

A 500 found here is a product bug: report it with a reproduction below (`test_reported_*`, strict
xfail, with a matching exemption in the hostile test), and remove both when it is fixed.
"""

import copy
import json
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oms.orders.models import Order
from tests.factories import omnitron_order_json
from tests.properties.test_mapping_properties import OPTIONAL, REQUIRED, json_values, orders
from tests.scaffolding import example_atomic

URL = "/api/v1/oms/omnitron/orders/"
FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
MAX_BIGINT = 2**63 - 1
INT_FIELDS_STORED = {"pk", "channel", "cargo_company", "orderitem_set[].pk", "orderitem_set[].product.pk"}
MAX_LENGTH = {
    "number": 128, "tracking_number": 256, "currency": 8, "delivery_type": 64, "shipping_option_slug": 128,
    "orderitem_set[].product.sku": 128, "orderitem_set[].product.barcode": 128,
    "orderitem_set[].product.name": 255, "orderitem_set[].price_currency": 8,
    "orderitem_set[].tracking_number": 256,
}  # fmt: skip
DECIMAL_FIELDS = {"amount", "shipping_amount", "orderitem_set[].price"}
DATETIME_FIELDS = {"date_placed", "modified_date"}


@pytest.fixture
def channel(db, omnitron_sandbox_settings):
    from tests.factories import cargo_company, marketplace_channel

    cargo_company(omnitron_id=7)
    return marketplace_channel(omnitron_id=42)


def _readable(api) -> bool:
    return all(api.get(url).status_code == 200 for url in ("/api/v1/oms/orders/", "/api/v1/oms/packages/"))


@FUZZ
@given(data=orders())
def test_an_order_that_fits_is_ingested_once_and_read_back(api, channel, data):
    # orders() generates only values OMS stores (short strings without NUL, pks up to 2**63-1,
    # two decimal places): nothing is assumed away.
    data["channel"] = channel.omnitron_id
    with example_atomic():
        first = api.post(URL, data, format="json")
        again = api.post(URL, data, format="json")

        if int(data["status"]) < 400:  # not approved yet: refused, naming the status
            assert first.status_code == 400, first.content[:300]
            assert list(first.json()["error"]) == ["status"]
        else:
            assert first.status_code == 201, first.content[:500]
            assert again.status_code == 200
            assert again.json()["id"] == first.json()["id"]
            read = api.get(f"/api/v1/oms/orders/{first.json()['id']}/")
            assert read.status_code == 200
            assert len(read.json()["items"]) == len(data["orderitem_set"])
        assert _readable(api)
        transaction.set_rollback(True)


# Hostile values, by the kind of field they go into.
huge_ints = st.one_of(
    st.integers(), st.integers(min_value=2**63 - 2, max_value=2**70), st.integers(max_value=0)
)
odd_strings = st.one_of(
    st.text(max_size=8),
    st.text(min_size=120, max_size=600),
    st.sampled_from(["", " ", "\x00", "a\x00b", "²", "٣", "1e5", "-1", "0", "1.0", "\U0001d7d9\U0001d7da"]),
)
odd_decimals = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
    st.sampled_from(["1e30", "-1e30", "123456789012.999", "0.0000001", "1e-300", "9" * 40]),
    st.floats(allow_nan=False, allow_infinity=False),
)
odd_dates = st.one_of(
    st.datetimes(timezones=st.timezones()).map(lambda moment: moment.isoformat()),
    st.sampled_from(["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "2026-02-30T00:00:00Z", ""]),
)
deep = st.recursive(st.just(1), lambda inner: st.lists(inner, min_size=1, max_size=1), max_leaves=200)
hostile_values = st.one_of(huge_ints, odd_strings, odd_decimals, odd_dates, json_values, deep, st.booleans())


def _generic(path: list) -> str:
    return ".".join("[]" if isinstance(key, int) else key for key in path).replace(".[]", "[]")


def _utc_overflows(text: str) -> bool:
    try:
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return False
    try:
        (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    except OverflowError:
        return True
    return False


def _unstorable(field: str, value) -> str:
    """Why OMS cannot store a value of the right type in the field, or "" (then it may be stored)."""
    number = value if isinstance(value, int) and not isinstance(value, bool) else None
    if isinstance(value, str) and value.strip().isdigit() and value.strip().isascii():
        number = int(value)
    if field in INT_FIELDS_STORED and number is not None and not 1 <= number <= MAX_BIGINT:
        return "pk-out-of-range"
    if field in DECIMAL_FIELDS and isinstance(value, int | float | str) and not isinstance(value, bool):
        try:
            amount = Decimal(str(value))
            # max_digits=14, decimal_places=2: 999999999999.99 is the largest value stored.
            if amount.is_finite() and abs(amount) >= 10**12:
                return "decimal-too-big"
            if amount.is_finite() and amount != amount.quantize(Decimal("0.01")):
                return "decimal-too-many-places"
        except (InvalidOperation, ValueError):
            pass
    if field in DATETIME_FIELDS and isinstance(value, str) and _utc_overflows(value):
        return "date-overflow"
    if field in MAX_LENGTH and isinstance(value, str) and len(value) > MAX_LENGTH[field]:
        return "too-long"
    if isinstance(value, str) and "\x00" in value:
        return "nul"  # PostgreSQL text cannot hold it; refused on every database alike
    return ""


@st.composite
def hostile_orders(draw):
    data = draw(orders(canonical=True))  # fits what OMS stores before the one hostile value goes in
    data["status"] = "400"
    index = draw(st.integers(min_value=0, max_value=len(data["orderitem_set"]) - 1))
    path, _ = draw(st.sampled_from([*REQUIRED, *OPTIONAL, (["channel"], "int")]))
    path = [index if key == 0 and position == 1 else key for position, key in enumerate(path)]
    value = draw(hostile_values)
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return data, path, value


def _concrete(path: list) -> str:
    """The path as the error names it, e.g. `orderitem_set[0].product.sku`."""
    return ".".join(f"[{key}]" if isinstance(key, int) else key for key in path).replace(".[", "[")


@FUZZ
@given(case=hostile_orders())
def test_a_hostile_order_never_answers_a_server_error(api, channel, case):
    data, path, value = case
    field = _generic(path)
    data["channel"] = channel.omnitron_id if field != "channel" else data["channel"]
    unstorable = _unstorable(field, value)
    with example_atomic():
        response = api.post(URL, data, format="json")

        assert response.status_code < 500, (field, repr(value)[:200], response.content[:300])
        if response.status_code >= 400:
            assert response.json()["status_code"] == response.status_code
        if unstorable:
            assert response.status_code == 400, (unstorable, field, repr(value)[:200], response.content[:300])
            assert list(response.json()["error"]) == [_concrete(path)], (unstorable, response.content[:300])
            assert not Order.objects.exists()
        assert _readable(api)
        transaction.set_rollback(True)


def _order(**changes) -> dict:
    data = omnitron_order_json(pk=4242, channel=42, cargo_company=7)
    for path, value in changes.items():
        target = data
        keys = [int(k) if k.isdigit() else k for k in path.split("__")]
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value
    return data


FIXED = {
    "non-ascii digits in pk": (_order(pk="²"), "pk"),
    "non-ascii digits in status": (_order(status="²"), "status"),
    "non-ascii digits in an item status": (_order(orderitem_set__0__status="³"), "orderitem_set[0].status"),
}


@pytest.mark.parametrize("body, field", list(FIXED.values()), ids=list(FIXED))
def test_digits_outside_ascii_are_refused_naming_the_field(api, channel, body, field):
    response = api.post(URL, copy.deepcopy(body), format="json")

    assert response.status_code == 400, response.content[:300]
    assert list(response.json()["error"]) == [field]
    assert Order.objects.count() == 0


# Each case: the body, the field the error names, and what the message says about the limit.
UNSTORABLE = {
    "pk above 2**63-1": (_order(pk=10**30), "pk", "9223372036854775807"),
    "pk of 2**63": (_order(pk=2**63), "pk", "9223372036854775807"),
    "negative pk": (_order(pk=-5), "pk", "from 1"),
    "zero pk": (_order(pk=0), "pk", "from 1"),
    "zero pk as a string": (_order(pk="0"), "pk", "from 1"),
    "channel above 2**63-1": (_order(channel=2**64), "channel", "9223372036854775807"),
    "cargo company above 2**63-1": (_order(cargo_company=10**20), "cargo_company", "9223372036854775807"),
    "negative cargo company": (_order(cargo_company=-7), "cargo_company", "from 1"),
    "item pk above 2**63-1": (
        _order(orderitem_set__0__pk=10**25),
        "orderitem_set[0].pk",
        "9223372036854775807",
    ),
    "zero item pk": (_order(orderitem_set__0__pk=0), "orderitem_set[0].pk", "from 1"),
    "product pk above 2**63-1": (
        _order(orderitem_set__0__product__pk=10**25),
        "orderitem_set[0].product.pk",
        "9223372036854775807",
    ),
    "negative product pk": (
        _order(orderitem_set__0__product__pk=-1),
        "orderitem_set[0].product.pk",
        "from 1",
    ),
    "amount above max_digits": (_order(amount="1e30"), "amount", "999999999999.99"),
    "amount of 13 integer digits": (_order(amount="1234567890123.00"), "amount", "999999999999.99"),
    "negative amount of 13 integer digits": (_order(amount="-1234567890123"), "amount", "999999999999.99"),
    "amount as a huge float": (_order(amount=1e300), "amount", "999999999999.99"),
    "amount with 3 decimal places": (_order(amount="10.005"), "amount", "2 decimal places"),
    "shipping amount too small to keep": (
        _order(shipping_amount="1e-300"),
        "shipping_amount",
        "2 decimal places",
    ),
    "item price above max_digits": (
        _order(orderitem_set__0__price="1e40"),
        "orderitem_set[0].price",
        "999999999999.99",
    ),
    "date overflowing UTC": (_order(date_placed="9999-12-31T23:59:59-14:00"), "date_placed", "9999-12-31"),
    "date underflowing UTC": (
        _order(modified_date="0001-01-01T00:00:00+14:00"),
        "modified_date",
        "0001-01-01",
    ),
    "number longer than 128": (_order(number="N" * 129), "number", "at most 128"),
    "currency longer than 8": (_order(currency="TRY-LIRAS"), "currency", "at most 8"),
    "tracking number longer than 256": (_order(tracking_number="T" * 257), "tracking_number", "at most 256"),
    "delivery type longer than 64": (_order(delivery_type="d" * 65), "delivery_type", "at most 64"),
    "sku longer than 128": (
        _order(orderitem_set__0__product__sku="S" * 129),
        "orderitem_set[0].product.sku",
        "at most 128",
    ),
    "product name longer than 255": (
        _order(orderitem_set__0__product__name="n" * 256),
        "orderitem_set[0].product.name",
        "at most 255",
    ),
    "item tracking number longer than 256": (
        _order(orderitem_set__0__tracking_number="T" * 257),
        "orderitem_set[0].tracking_number",
        "at most 256",
    ),
}


@pytest.mark.parametrize("body, field, limit", list(UNSTORABLE.values()), ids=list(UNSTORABLE))
def test_an_order_with_a_value_oms_cannot_store_is_refused_naming_the_field(api, channel, body, field, limit):
    response = api.post(URL, copy.deepcopy(body), format="json")

    assert response.status_code == 400, response.content[:300]
    assert response.json()["status_code"] == 400
    assert list(response.json()["error"]) == [field]
    message = " ".join(response.json()["error"][field])
    assert field in message and limit in message, message
    assert Order.objects.count() == 0
    assert _readable(api)


def test_values_at_the_limits_are_stored_as_sent(api, channel):
    body = _order(
        pk=MAX_BIGINT,
        number="N" * 128,
        amount="999999999999.99",
        shipping_amount="-999999999999.99",
        date_placed="9999-12-31T23:59:59Z",
        modified_date="0001-01-01T00:00:00Z",
        tracking_number="T" * 256,
        orderitem_set__0__pk=MAX_BIGINT,
        orderitem_set__0__product__pk=MAX_BIGINT,
        orderitem_set__0__product__sku="S" * 128,
        orderitem_set__0__product__name="n" * 255,
        orderitem_set__0__price="0.01",
    )

    response = api.post(URL, body, format="json")

    assert response.status_code == 201, response.content[:300]
    order = Order.objects.get()
    item = order.items.get()
    assert (order.omnitron_id, order.number, order.tracking_number) == (MAX_BIGINT, "N" * 128, "T" * 256)
    assert (order.amount, order.shipping_amount) == (Decimal("999999999999.99"), Decimal("-999999999999.99"))
    assert order.date_placed == datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert order.omnitron_modified_at == datetime(1, 1, 1, tzinfo=UTC)
    assert (item.omnitron_id, item.product_omnitron_id, item.sku) == (MAX_BIGINT, MAX_BIGINT, "S" * 128)
    assert (item.product_name, item.price) == ("n" * 255, Decimal("0.01"))
    assert _readable(api)


@pytest.mark.parametrize(
    "body, field",
    [
        (_order(number="TY\x00123"), "number"),
        (_order(extra_field={"id": "a\x00b"}), "extra_field"),
        (_order(extra_field={"a\x00": 1}), "extra_field"),
        (_order(extra_field={"ids": [{"id": "\x00"}]}), "extra_field"),
        (_order(orderitem_set__0__product__barcode="869\x00"), "orderitem_set[0].product.barcode"),
        (_order(orderitem_set__0__extra_field={"k\x00": "v"}), "orderitem_set[0].extra_field"),
    ],
    ids=[
        "in a string column",
        "in extra_field",
        "in an extra_field key",
        "deep in extra_field",
        "in an item's product",
        "in an item's extra_field key",
    ],
)
def test_a_nul_character_is_refused_naming_the_field(api, channel, body, field):
    response = api.post(URL, body, format="json")

    assert response.status_code == 400, response.content[:300]
    assert list(response.json()["error"]) == [field]
    assert "NUL" in " ".join(response.json()["error"][field])
    assert Order.objects.count() == 0
    assert _readable(api)


@pytest.mark.parametrize(
    "body, field",
    [
        (_order(number="SURROGATE"), "number"),
        (_order(extra_field={"id": "SURROGATE"}), "extra_field"),
        (_order(extra_field={"SURROGATE": 1}), "extra_field"),
        (_order(orderitem_set__0__product__sku="SURROGATE"), "orderitem_set[0].product.sku"),
    ],
    ids=["in a string column", "in extra_field", "in an extra_field key", "in an item's product"],
)
def test_a_lone_surrogate_is_refused_naming_the_field(api, channel, body, field):
    # Valid JSON ("\ud800" is a legal escape) whose text is not UTF-8, so no database stores it.
    raw = json.dumps(body).replace('"SURROGATE"', '"TY\\ud800"')

    response = api.post(URL, raw, content_type="application/json")

    assert response.status_code == 400, response.content[:300]
    assert list(response.json()["error"]) == [field]
    assert "U+D800" in " ".join(response.json()["error"][field])
    assert Order.objects.count() == 0


def test_a_too_big_amount_does_not_break_the_order_list(api, channel):
    response = api.post(URL, _order(amount="1e30"), format="json")

    assert response.status_code == 400
    assert _readable(api)
