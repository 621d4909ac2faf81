"""Properties of the Omnitron wire mapping (`oms.omnitron.mapping`), over generated order JSON.

Valid orders are generated in the contract's shape (docs/omnitron-contract.md): pk, number, channel,
statuses as strings (or integers, which are accepted too), decimals as strings, items with unique
pks, tracking numbers that are set, empty, null or absent, optional fields absent or null, and
unknown extra fields anywhere. Their values fit what OMS stores (pks from 1 to 2**63-1, short strings
without NUL characters, two decimal places). For them:

- `order_from_json` reads every item, in order, with the values sent;
- the tracking number is the order's, else the first item's non-empty one, else "";
- unknown fields change nothing;
- typed values survive the wire: `order_from_json(order_to_json(o)) == o`;
- an order already in the canonical wire format (what `order_to_json` writes, which is what the
  sandbox serves) comes back unchanged: `order_to_json(order_from_json(d)) == d`.

Malformed variants (a required field removed, or any field given a value of the wrong type or one OMS
cannot store) raise `OmnitronPayloadError` whose `.field` is the path of that field, e.g.
`orderitem_set[2].product.sku`.
"""

import copy
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from oms.core.statuses import OrderStatus
from oms.omnitron.errors import OmnitronPayloadError
from oms.omnitron.mapping import order_from_json, order_to_json

ABSENT = object()
STATUS_CODES = [member.value for member in OrderStatus]
ORDER_FIELDS = {
    "pk", "number", "channel", "status", "date_placed", "modified_date", "currency", "amount",
    "shipping_amount", "cargo_company", "tracking_number", "delivery_type", "shipping_option_slug",
    "extra_field", "orderitem_set",
}  # fmt: skip
ITEM_FIELDS = {"pk", "product", "status", "price", "price_currency", "tracking_number", "extra_field"}
PRODUCT_FIELDS = {"pk", "sku", "barcode", "name"}

# Pure functions, but generating an order takes ~0.1 s: 40 examples per property keeps the module fast.
PROPERTY = settings(max_examples=40, deadline=None)
pks = st.integers(min_value=1, max_value=2**63 - 1)
# Text as UTF-8 JSON carries it, without NUL (U+0000), which PostgreSQL text and jsonb cannot hold: a
# value with one is malformed (see WRONG).
storable = st.characters(codec="utf-8", exclude_characters="\x00")
texts = st.text(storable, max_size=12)
currencies = st.text(storable, max_size=8)  # the currency columns' max_length
json_scalars = st.none() | st.booleans() | st.integers() | st.text(storable, max_size=10)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=2) | st.dictionaries(st.text(storable, max_size=5), inner, max_size=2)
    ),
    max_leaves=4,
)
extra_fields = st.dictionaries(st.text(storable, max_size=8), json_values, max_size=2)
money = st.decimals(min_value=0, max_value=10**11, places=2, allow_nan=False, allow_infinity=False)
moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))


def _wire_datetime(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _unknown(known: set[str]):
    return st.dictionaries(
        st.text(min_size=1, max_size=12).filter(lambda key: key not in known), json_values, max_size=2
    )


def _maybe(strategy):
    """A value, null, or the field left out."""
    return st.one_of(strategy, st.none(), st.just(ABSENT))


def _put(target: dict, key: str, value) -> None:
    if value is not ABSENT:
        target[key] = value


@st.composite
def any_datetime(draw) -> str:
    """ISO-8601 as Omnitron may send it: Z, an offset, or naive (read as UTC)."""
    moment = draw(moments)
    style = draw(st.sampled_from(["z", "offset", "naive"]))
    if style == "z":
        return _wire_datetime(moment)
    if style == "offset":
        offset = timezone(timedelta(minutes=draw(st.integers(min_value=-14 * 60, max_value=14 * 60))))
        return moment.astimezone(offset).isoformat()
    return moment.replace(tzinfo=None).isoformat()


@st.composite
def items(draw, pk: int, *, canonical: bool) -> dict:
    status = draw(st.sampled_from(STATUS_CODES))
    price = draw(money)
    product = {"pk": draw(pks), "sku": draw(texts)}
    item = {"pk": pk, "product": product, "status": str(status), "price": str(price)}
    if canonical:
        product.update(barcode=draw(texts), name=draw(texts))
        item.update(
            price_currency=draw(currencies), tracking_number=draw(texts), extra_field=draw(extra_fields)
        )
        return {key: item[key] for key in ("pk", "product", "status", "price", "price_currency",
                                           "tracking_number", "extra_field")}  # fmt: skip
    if draw(st.booleans()):
        item["pk"] = str(pk)
    if draw(st.booleans()):
        item["status"] = status
    _put(product, "barcode", draw(_maybe(texts)))
    _put(product, "name", draw(_maybe(texts)))
    _put(item, "price_currency", draw(_maybe(currencies)))
    _put(item, "tracking_number", draw(_maybe(texts)))
    _put(item, "extra_field", draw(_maybe(extra_fields)))
    product.update(draw(_unknown(PRODUCT_FIELDS)))
    item.update(draw(_unknown(ITEM_FIELDS)))
    return item


@st.composite
def orders(draw, *, canonical: bool = False) -> dict:
    item_pks = draw(st.lists(pks, min_size=1, max_size=4, unique=True))
    order = {
        "pk": draw(pks),
        "number": draw(texts),
        "channel": draw(pks),
        "status": str(draw(st.sampled_from(STATUS_CODES))),
    }
    if canonical:
        order.update(
            date_placed=_wire_datetime(draw(moments)),
            modified_date=_wire_datetime(draw(moments)),
            currency=draw(currencies),
            amount=str(draw(money)),
            shipping_amount=str(draw(money)),
            cargo_company=draw(st.none() | pks),
            tracking_number=draw(texts),
            delivery_type=draw(texts),
            shipping_option_slug=draw(texts),
            extra_field=draw(extra_fields),
            orderitem_set=[draw(items(pk, canonical=True)) for pk in item_pks],
        )
        return order
    order.update(date_placed=draw(any_datetime()), modified_date=draw(any_datetime()))
    if draw(st.booleans()):
        order["pk"] = str(order["pk"])
    if draw(st.booleans()):
        order["status"] = int(order["status"])
    _put(order, "currency", draw(_maybe(currencies)))
    _put(order, "amount", draw(_maybe(money.map(str) | money.map(float))))
    _put(order, "shipping_amount", draw(_maybe(money.map(str))))
    _put(order, "cargo_company", draw(_maybe(pks)))
    _put(order, "tracking_number", draw(_maybe(st.just("") | texts)))
    _put(order, "delivery_type", draw(_maybe(texts)))
    _put(order, "shipping_option_slug", draw(_maybe(texts)))
    _put(order, "extra_field", draw(_maybe(extra_fields)))
    order["orderitem_set"] = [draw(items(pk, canonical=False)) for pk in item_pks]
    order.update(draw(_unknown(ORDER_FIELDS)))
    return order


def _without_unknown(data: dict) -> dict:
    clean = {key: value for key, value in data.items() if key in ORDER_FIELDS}
    clean["orderitem_set"] = []
    for item in data["orderitem_set"]:
        kept = {key: value for key, value in item.items() if key in ITEM_FIELDS}
        kept["product"] = {key: value for key, value in item["product"].items() if key in PRODUCT_FIELDS}
        clean["orderitem_set"].append(kept)
    return clean


@PROPERTY
@given(orders())
def test_every_item_is_read_with_the_values_sent(data):
    order = order_from_json(data)

    assert order.pk == int(data["pk"])
    assert order.number == data["number"]
    assert order.channel == data["channel"]
    assert order.status == int(data["status"])
    assert order.amount == Decimal(str(data.get("amount") if data.get("amount") is not None else "0"))
    assert order.cargo_company == data.get("cargo_company")
    assert order.date_placed.tzinfo is not None
    assert [item.pk for item in order.items] == [int(item["pk"]) for item in data["orderitem_set"]]
    for read, sent in zip(order.items, data["orderitem_set"], strict=True):
        assert read.sku == sent["product"]["sku"]
        assert read.product_pk == sent["product"]["pk"]
        assert read.status == int(sent["status"])
        assert read.price == Decimal(sent["price"])
        assert read.tracking_number == (sent.get("tracking_number") or "")


@PROPERTY
@given(orders())
def test_the_tracking_number_is_the_orders_else_the_first_items(data):
    order = order_from_json(data)

    from_items = [
        item.get("tracking_number") for item in data["orderitem_set"] if item.get("tracking_number")
    ]
    expected = data.get("tracking_number") or (from_items[0] if from_items else "")
    assert order.effective_tracking_number == expected


@PROPERTY
@given(orders())
def test_unknown_fields_change_nothing(data):
    assert order_from_json(data) == order_from_json(_without_unknown(data))


@PROPERTY
@given(orders())
def test_typed_values_survive_the_wire_format(data):
    order = order_from_json(data)

    assert order_from_json(order_to_json(order)) == order


@PROPERTY
@given(orders(canonical=True))
def test_a_canonical_order_comes_back_unchanged(data):
    assert order_to_json(order_from_json(data)) == data


# Malformed variants. Each entry: (path, kind); the path names the field as `.field` should.
REQUIRED = [
    (["pk"], "int"), (["number"], "str"), (["channel"], "int"), (["status"], "status"),
    (["date_placed"], "datetime"), (["modified_date"], "datetime"), (["orderitem_set"], "list"),
    (["orderitem_set", 0], "object"), (["orderitem_set", 0, "pk"], "int"),
    (["orderitem_set", 0, "product"], "object"), (["orderitem_set", 0, "product", "pk"], "int"),
    (["orderitem_set", 0, "product", "sku"], "str"), (["orderitem_set", 0, "status"], "status"),
    (["orderitem_set", 0, "price"], "decimal"),
]  # fmt: skip
OPTIONAL = [
    (["currency"], "str"), (["amount"], "decimal"), (["shipping_amount"], "decimal"),
    (["cargo_company"], "int"), (["tracking_number"], "str"), (["delivery_type"], "str"),
    (["shipping_option_slug"], "str"), (["extra_field"], "json"),
    (["orderitem_set", 0, "price_currency"], "str"), (["orderitem_set", 0, "tracking_number"], "str"),
    (["orderitem_set", 0, "extra_field"], "json"), (["orderitem_set", 0, "product", "barcode"], "str"),
    (["orderitem_set", 0, "product", "name"], "str"),
]  # fmt: skip
WRONG = {
    "int": st.sampled_from(
        ["abc", "12a", "-5", "1.5", "", " ", "0x1f", 1.5, True, False, [], {}, [1], 0, -5, 2**63, "0", 10**30]
    ),
    "status": st.sampled_from(["approved", "4x0", "", "-400", "400.0", 4.5, True, [], {}, ["400"]]),
    "str": st.sampled_from([5, 1.5, True, [], {}, ["x"], {"x": 1}, "a\x00b", "\x00", "x" * 300]),
    "decimal": st.sampled_from(
        ["lots", "", "1,5", "NaN", "Infinity", "-Infinity", "sNaN", True, [], {}, "1e30", "-1e12", "0.001"]
    ),
    "datetime": st.sampled_from(
        [
            "yesterday",
            "",
            "2026-13-01T00:00:00Z",
            "20261120",
            123,
            1.5,
            True,
            [],
            {},
            "9999-12-31T23:59:59-14:00",
            "0001-01-01T00:00:00+14:00",
        ]
    ),
    "object": st.sampled_from(["x", 5, 1.5, True, [], [1, 2]]),
    # extra_field: any JSON object without NUL characters in its keys and strings.
    "json": st.sampled_from(
        ["x", 5, 1.5, True, [], [1, 2], {"id": "a\x00"}, {"a\x00": 1}, {"a": [{"b": "\x00"}]}]
    ),
    "list": st.sampled_from(["x", 5, True, {}, {"pk": 1}]),
}


def _field(path: list) -> str:
    text = ""
    for key in path:
        text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else key)
    return text


def _target(data: dict, path: list):
    target = data
    for key in path[:-1]:
        target = target[key]
    return target


@st.composite
def malformed(draw):
    data = draw(orders(canonical=True))
    index = draw(st.integers(min_value=0, max_value=len(data["orderitem_set"]) - 1))
    required = draw(st.booleans())
    path, kind = draw(st.sampled_from(REQUIRED if required else OPTIONAL))
    path = [index if key == 0 and position == 1 else key for position, key in enumerate(path)]
    broken = copy.deepcopy(data)
    target = _target(broken, path)
    # An item removed from the list is just a shorter list, not a malformed order.
    removable = required and not isinstance(path[-1], int)
    how = (
        draw(st.sampled_from(["remove", "null", "wrong"] if removable else ["null", "wrong"]))
        if required
        else "wrong"
    )
    if how == "remove":
        del target[path[-1]]
    elif how == "null":
        target[path[-1]] = None
    else:
        strategy = WRONG[kind] | (
            st.text(max_size=6) if kind in ("int", "status", "decimal", "datetime") else st.nothing()
        )
        value = draw(strategy)
        target[path[-1]] = value
    return broken, _field(path), how


def _accepted_anyway(kind: str, value) -> bool:
    """Generated text that happens to be a valid value of the kind is not malformed."""
    if not isinstance(value, str):
        return False
    stripped = value.strip()
    if kind == "int":
        return stripped.isascii() and stripped.isdigit() and 1 <= int(stripped) <= 2**63 - 1
    if kind == "status":
        return stripped.isascii() and stripped.isdigit()
    if kind == "decimal":
        try:
            number = Decimal(value)
            # Every decimal column is max_digits=14, decimal_places=2.
            return number.is_finite() and abs(number) < 10**12 and number == number.quantize(Decimal("0.01"))
        except ArithmeticError:
            return False
    if kind == "datetime":
        try:
            moment = datetime.fromisoformat(value)
            (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
            return True
        except (ValueError, OverflowError):
            return False
    return False


@settings(max_examples=150, deadline=None)
@given(malformed())
def test_a_malformed_order_names_the_bad_field(case):
    broken, field, how = case
    path_kind = {_field(p): k for p, k in REQUIRED + OPTIONAL}
    if how == "wrong":
        value = _value_at(broken, field)
        assume(not _accepted_anyway(_kind_of(field, path_kind), value))

    with pytest.raises(OmnitronPayloadError) as raised:
        order_from_json(broken)

    assert raised.value.field == field


def _kind_of(field: str, path_kind: dict) -> str:
    generic = field
    if field.startswith("orderitem_set["):
        generic = "orderitem_set[0]" + field[field.index("]") + 1 :]
    return path_kind[generic]


def _value_at(data: dict, field: str):
    target = data
    for part in field.replace("[", ".[").split("."):
        if not part:
            continue
        target = target[int(part[1:-1])] if part.startswith("[") else target[part]
    return target


@pytest.mark.parametrize(
    "field", ["pk", "channel", "status", "orderitem_set[0].pk", "orderitem_set[0].status"]
)
def test_a_non_ascii_digit_string_is_refused_naming_the_field(field):
    data = {
        "pk": 1, "number": "N-1", "channel": 42, "status": "400", "date_placed": "2026-11-20T09:30:00Z",
        "modified_date": "2026-11-20T09:31:12Z",
        "orderitem_set": [{"pk": 5, "product": {"pk": 7, "sku": "S"}, "status": "400", "price": "1.00"}],
    }  # fmt: skip
    _target(data, _path_of(field))[_path_of(field)[-1]] = "²"

    with pytest.raises(OmnitronPayloadError) as raised:
        order_from_json(data)

    assert raised.value.field == field


def _path_of(field: str) -> list:
    path: list = []
    for part in field.replace("[", ".[").split("."):
        if part:
            path.append(int(part[1:-1]) if part.startswith("[") else part)
    return path
