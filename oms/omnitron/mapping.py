"""Pure translation between Omnitron JSON and the typed values of `oms.omnitron.types`.

No HTTP here (that is `oms.omnitron.client`). Readers raise `OmnitronPayloadError` naming the path of
the first missing or malformed field (e.g. `orderitem_set[2].pk`) and ignore fields they do not know.
A value OMS cannot store is malformed too: a pk outside 1..2**63-1, a string longer than its column,
text holding NUL (PostgreSQL text and jsonb cannot) or a lone surrogate, a decimal beyond its
column's digits or decimal places, a date-time outside years 1..9999 in UTC. Column limits are read
from the model fields that store the values (`_column`). Writers produce exactly the wire format of
docs/omnitron-contract.md (status codes as strings).
"""

import functools
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.apps import apps
from django.db import models

from oms.core.db import BIGINT_MAX, unstorable_character
from oms.core.statuses import OrderStatus
from oms.omnitron.errors import OmnitronPayloadError
from oms.omnitron.types import OmnitronCargoCompany, OmnitronChannel, OmnitronOrder, OmnitronOrderItem

_MISSING = object()
# Order and item statuses are Omnitron's codes; anything else is refused, never stored.
_KNOWN_STATUSES = frozenset(OrderStatus.values)

# Omnitron pks are positive; the bigint columns that keep them hold at most 2**63-1.
PK_MAX = BIGINT_MAX

# A column is (model label, field name), e.g. ("orders.Order", "number").
Column = tuple[str, str]
ORDER, ITEM, CARGO_COMPANY = "orders.Order", "orders.OrderItem", "shipments.CargoCompany"


@functools.cache
def _column(column: Column) -> "models.Field[Any, Any]":
    """The model field that stores a value read here: its max_length, max_digits, decimal_places."""
    label, name = column
    field = apps.get_model(label)._meta.get_field(name)
    if not isinstance(field, models.Field):
        raise TypeError(f"{label}.{name} is not a column.")
    return field


def _decimal_column(column: Column) -> "models.DecimalField[Any, Any]":
    field = _column(column)
    if not isinstance(field, models.DecimalField):
        raise TypeError(f"{column[0]}.{column[1]} is not a decimal column.")
    return field


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:37]}..."


def _path(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def _fail(path: str, problem: str) -> OmnitronPayloadError:
    return OmnitronPayloadError(f"Omnitron payload field {path} {problem}.", field=path)


def _object(data: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise _fail(path or "(root)", f"must be a JSON object, not {type(data).__name__}")
    return data


def _value(data: Mapping[str, Any], key: str, prefix: str, *, required: bool) -> Any:
    value = data.get(key, _MISSING)
    if value is _MISSING or (value is None and required):
        if required:
            raise _fail(_path(prefix, key), "is missing" if value is _MISSING else "must not be null")
        return None
    return value


def _int(data: Mapping[str, Any], key: str, prefix: str, *, required: bool = True) -> int | None:
    value = _value(data, key, prefix, required=required)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise _fail(_path(prefix, key), f"must be an integer, not {value!r}")
    if isinstance(value, str):
        if not (value.strip().isascii() and value.strip().isdigit()):
            raise _fail(_path(prefix, key), f"must be an integer, not {value!r}")
        return int(value)
    return value


def _required_int(data: Mapping[str, Any], key: str, prefix: str) -> int:
    value = _int(data, key, prefix, required=True)
    assert value is not None  # _int raises for a missing required field
    return value


def _pk(data: Mapping[str, Any], key: str, prefix: str, *, required: bool = True) -> int | None:
    """An Omnitron pk that OMS stores: an integer from 1 to 2**63-1."""
    value = _int(data, key, prefix, required=required)
    if value is not None and not 1 <= value <= PK_MAX:
        raise _fail(_path(prefix, key), f"must be a pk from 1 to {PK_MAX}, not {_shown(value)}")
    return value


def _required_pk(data: Mapping[str, Any], key: str, prefix: str) -> int:
    value = _pk(data, key, prefix, required=True)
    assert value is not None  # _pk raises for a missing required field
    return value


def _storable_text(value: Any, path: str) -> None:
    """Refuse a string, or a JSON value with a key or string, holding NUL or a lone surrogate."""
    found = unstorable_character(value, path)
    if found is None:
        return
    character, _ = found
    if character == "\x00":
        raise _fail(path, "must not contain a NUL character (U+0000): OMS cannot store one")
    raise _fail(
        path, f"must not contain a lone surrogate (U+{ord(character):04X}): it is not text OMS can store"
    )


def _str(
    data: Mapping[str, Any], key: str, prefix: str, *, required: bool = False, column: Column | None = None
) -> str:
    value = _value(data, key, prefix, required=required)
    if value is None:
        return ""
    path = _path(prefix, key)
    if not isinstance(value, str):
        raise _fail(path, f"must be a string, not {value!r}")
    _storable_text(value, path)
    if column is not None:
        limit = _column(column).max_length
        if limit is not None and len(value) > limit:
            raise _fail(path, f"is {len(value)} characters long; OMS stores at most {limit}")
    return value


def _status(data: Mapping[str, Any], key: str, prefix: str) -> int:
    value = _value(data, key, prefix, required=True)
    text = str(value).strip()
    if isinstance(value, bool) or not isinstance(value, int | str) or not (text.isascii() and text.isdigit()):
        raise _fail(_path(prefix, key), f"must be a status code of digits, not {value!r}")
    code = int(text)
    if code not in _KNOWN_STATUSES:
        shown = text if len(text) <= 24 else f"{text[:24]}…"
        known = ", ".join(map(str, sorted(_KNOWN_STATUSES)))
        raise _fail(_path(prefix, key), f"is {shown}, not one of Omnitron's status codes ({known})")
    return code


def _decimal(
    data: Mapping[str, Any], key: str, prefix: str, *, required: bool = False, column: Column | None = None
) -> Decimal:
    value = _value(data, key, prefix, required=required)
    if value is None:
        return Decimal("0")
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _fail(_path(prefix, key), f"must be a decimal number, not {value!r}")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise _fail(_path(prefix, key), f"must be a decimal number, not {value!r}") from None
    if not number.is_finite():
        raise _fail(_path(prefix, key), f"must be a finite decimal number, not {value!r}")
    if column is not None:
        _decimal_fits(number, value, _path(prefix, key), _decimal_column(column))
    return number


def _decimal_fits(number: Decimal, value: Any, path: str, field: "models.DecimalField[Any, Any]") -> None:
    """Refuse a number the column would not keep as sent: too many digits, or too many places."""
    places = field.decimal_places
    whole = field.max_digits - places
    step = Decimal(1).scaleb(-places)  # 0.01 for 2 places
    if number and number.adjusted() >= whole:
        largest = Decimal(10**whole) - step
        raise _fail(
            path,
            f"is too large: OMS stores at most {whole} digits before the decimal point (up to "
            f"{largest}), not {_shown(value)}",
        )
    if number != number.quantize(step):
        raise _fail(path, f"must have at most {places} decimal places, not {_shown(value)}")


def _datetime(data: Mapping[str, Any], key: str, prefix: str) -> datetime:
    value = _value(data, key, prefix, required=True)
    if not isinstance(value, str):
        raise _fail(_path(prefix, key), f"must be an ISO-8601 date-time string, not {value!r}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise _fail(_path(prefix, key), f"must be an ISO-8601 date-time, not {value!r}") from None
    moment = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    try:
        moment.astimezone(UTC)  # stored in UTC
    except OverflowError:
        raise _fail(
            _path(prefix, key),
            f"must fall between 0001-01-01 and 9999-12-31 in UTC, where OMS stores it, not {value!r}",
        ) from None
    return moment


def _dict(data: Mapping[str, Any], key: str, prefix: str) -> dict[str, Any]:
    value = _value(data, key, prefix, required=False)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _fail(_path(prefix, key), f"must be a JSON object, not {value!r}")
    _storable_text(value, _path(prefix, key))
    return dict(value)


def _bool(data: Mapping[str, Any], key: str, prefix: str, *, default: bool) -> bool:
    value = _value(data, key, prefix, required=False)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise _fail(_path(prefix, key), f"must be true or false, not {value!r}")
    return value


def order_item_from_json(data: Any, *, path: str = "") -> OmnitronOrderItem:
    """An order item from its JSON (an element of an order's `orderitem_set`, or a PATCH answer)."""
    item = _object(data, path)
    product_path = _path(path, "product")
    product = _object(_value(item, "product", path, required=True), product_path)
    return OmnitronOrderItem(
        pk=_required_pk(item, "pk", path),
        product_pk=_required_pk(product, "pk", product_path),
        sku=_str(product, "sku", product_path, required=True, column=(ITEM, "sku")),
        barcode=_str(product, "barcode", product_path, column=(ITEM, "barcode")),
        name=_str(product, "name", product_path, column=(ITEM, "product_name")),
        status=_status(item, "status", path),
        price=_decimal(item, "price", path, required=True, column=(ITEM, "price")),
        price_currency=_str(item, "price_currency", path, column=(ITEM, "price_currency")),
        tracking_number=_str(item, "tracking_number", path, column=(ITEM, "tracking_number")),
        extra_field=_dict(item, "extra_field", path),
    )


def order_from_json(data: Any) -> OmnitronOrder:
    """An order from Omnitron's Order JSON; raises `OmnitronPayloadError` naming the bad field."""
    order = _object(data, "")
    items = _value(order, "orderitem_set", "", required=True)
    if not isinstance(items, list):
        raise _fail("orderitem_set", f"must be a list, not {type(items).__name__}")
    return OmnitronOrder(
        pk=_required_pk(order, "pk", ""),
        number=_str(order, "number", "", required=True, column=(ORDER, "number")),
        channel=_required_pk(order, "channel", ""),
        status=_status(order, "status", ""),
        date_placed=_datetime(order, "date_placed", ""),
        modified_date=_datetime(order, "modified_date", ""),
        items=tuple(
            order_item_from_json(item, path=f"orderitem_set[{index}]") for index, item in enumerate(items)
        ),
        currency=_str(order, "currency", "", column=(ORDER, "currency")),
        amount=_decimal(order, "amount", "", column=(ORDER, "amount")),
        shipping_amount=_decimal(order, "shipping_amount", "", column=(ORDER, "shipping_amount")),
        cargo_company=_pk(order, "cargo_company", "", required=False),
        tracking_number=_str(order, "tracking_number", "", column=(ORDER, "tracking_number")),
        delivery_type=_str(order, "delivery_type", "", column=(ORDER, "delivery_type")),
        shipping_option_slug=_str(order, "shipping_option_slug", "", column=(ORDER, "shipping_option_slug")),
        extra_field=_dict(order, "extra_field", ""),
        raw=dict(order),
    )


def channel_from_json(data: Any) -> OmnitronChannel:
    """A channel from Omnitron's Channel JSON."""
    channel = _object(data, "")
    return OmnitronChannel(
        pk=_required_pk(channel, "pk", ""),
        name=_str(channel, "name", "", required=True, column=("channels.Channel", "name")),
        channel_type=_str(channel, "channel_type", "", column=("channels.Channel", "channel_type")),
        is_active=_bool(channel, "is_active", "", default=True),
    )


def cargo_company_from_json(data: Any) -> OmnitronCargoCompany:
    """A cargo company from Omnitron's Cargo company JSON."""
    company = _object(data, "")
    return OmnitronCargoCompany(
        pk=_required_pk(company, "pk", ""),
        name=_str(company, "name", "", required=True, column=(CARGO_COMPANY, "name")),
        erp_code=_str(company, "erp_code", "", column=(CARGO_COMPANY, "erp_code")),
        shipping_company=_str(company, "shipping_company", "", column=(CARGO_COMPANY, "shipping_company")),
    )


def page_from_json(data: Any) -> tuple[list[Any], str | None]:
    """The `results` and the `next` URL of one page of an Omnitron list."""
    page = _object(data, "")
    results = _value(page, "results", "", required=True)
    if not isinstance(results, list):
        raise _fail("results", f"must be a list, not {type(results).__name__}")
    next_url = _value(page, "next", "", required=False)
    if next_url is not None and not isinstance(next_url, str):
        raise _fail("next", f"must be a URL or null, not {next_url!r}")
    return results, next_url or None


def status_to_wire(status: int) -> str:
    """A status code as Omnitron sends it: a string of digits."""
    if isinstance(status, bool) or not isinstance(status, int) or status < 0:
        raise ValueError(f"A status code is a non-negative integer, not {status!r}.")
    return str(status)


def bulk_status_payload(statuses: Mapping[int, int]) -> dict[str, list[dict[str, Any]]]:
    """The body of `PATCH /api/i1/order_items/bulk_status_update/`, items sorted by id."""
    return {
        "orderitem_set": [
            {"id": int(item_id), "status": status_to_wire(status)}
            for item_id, status in sorted(statuses.items())
        ]
    }


def bulk_status_from_json(data: Any) -> dict[int, int]:
    """What the bulk status endpoint answered, as {order item id: status}."""
    body = _object(data, "")
    items = _value(body, "orderitem_set", "", required=True)
    if not isinstance(items, list):
        raise _fail("orderitem_set", f"must be a list, not {type(items).__name__}")
    result: dict[int, int] = {}
    for index, entry in enumerate(items):
        path = f"orderitem_set[{index}]"
        item = _object(entry, path)
        result[_required_int(item, "id", path)] = _status(item, "status", path)
    return result


def item_status_payload(status: int) -> dict[str, str]:
    """The body of `PATCH /api/v1/order_items/{pk}/` that sets the item's status."""
    return {"status": status_to_wire(status)}


def _datetime_to_wire(value: datetime) -> str:
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def order_item_to_json(item: OmnitronOrderItem) -> dict[str, Any]:
    """An order item in Omnitron's wire format."""
    return {
        "pk": item.pk,
        "product": {"pk": item.product_pk, "sku": item.sku, "barcode": item.barcode, "name": item.name},
        "status": status_to_wire(item.status),
        "price": str(item.price),
        "price_currency": item.price_currency,
        "tracking_number": item.tracking_number,
        "extra_field": dict(item.extra_field),
    }


def order_to_json(order: OmnitronOrder) -> dict[str, Any]:
    """An order in Omnitron's wire format (what the sandbox serves and pushes)."""
    return {
        "pk": order.pk,
        "number": order.number,
        "channel": order.channel,
        "status": status_to_wire(order.status),
        "date_placed": _datetime_to_wire(order.date_placed),
        "modified_date": _datetime_to_wire(order.modified_date),
        "currency": order.currency,
        "amount": str(order.amount),
        "shipping_amount": str(order.shipping_amount),
        "cargo_company": order.cargo_company,
        "tracking_number": order.tracking_number,
        "delivery_type": order.delivery_type,
        "shipping_option_slug": order.shipping_option_slug,
        "extra_field": dict(order.extra_field),
        "orderitem_set": [order_item_to_json(item) for item in order.items],
    }


def channel_to_json(channel: OmnitronChannel) -> dict[str, Any]:
    """A channel in Omnitron's wire format."""
    return {
        "pk": channel.pk,
        "name": channel.name,
        "channel_type": channel.channel_type,
        "is_active": channel.is_active,
    }


def cargo_company_to_json(company: OmnitronCargoCompany) -> dict[str, Any]:
    """A cargo company in Omnitron's wire format."""
    return {
        "pk": company.pk,
        "name": company.name,
        "erp_code": company.erp_code,
        "shipping_company": company.shipping_company,
    }
