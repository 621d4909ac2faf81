"""The Omnitron sandbox's in-memory store: orders, channels, cargo companies, users and tokens.

Everything is held in wire format (status codes as strings) and guarded by one lock, so HTTP
handler threads and test code may use it at once. Refusals raise `SandboxError`, which carries the
HTTP status and JSON body the server answers with. No Django here.
"""

import copy
import secrets
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from oms.sandbox.wire import (
    SandboxError,
    invalid,
    money,
    not_found,
    parse_datetime,
    pk_of,
    text_of,
    wire_datetime,
    wire_status,
)

SEED_CHANNELS: tuple[dict[str, Any], ...] = (
    {"pk": 1, "name": "Web", "channel_type": "web", "is_active": True},
    {"pk": 42, "name": "Trendyol", "channel_type": "sales_channel", "is_active": True},
    {"pk": 43, "name": "Hepsiburada", "channel_type": "sales_channel", "is_active": True},
    {"pk": 44, "name": "Amazon", "channel_type": "amazon", "is_active": True},
)
SEED_CARGO_COMPANIES: tuple[dict[str, Any], ...] = (
    {"pk": 7, "name": "Yurtici Kargo", "erp_code": "yurtici-kargo", "shipping_company": "yurtici"},
    {"pk": 8, "name": "Aras Kargo", "erp_code": "aras-kargo", "shipping_company": "aras"},
    {
        "pk": 9,
        "name": "Trendyol Express",
        "erp_code": "trendyol-express",
        "shipping_company": "trendyol_express",
    },
)
FIRST_ORDER_PK = 1001
FIRST_ITEM_PK = 5001
FIRST_PRODUCT_PK = 77


class Store:
    """The sandbox's data. Every public method takes the lock; every returned value is a copy."""

    def __init__(self, *, users: dict[str, str], on_order_created: Callable[[dict[str, Any]], None]) -> None:
        self.lock = threading.RLock()
        self._users = dict(users)
        self._on_order_created = on_order_created
        self._tokens: dict[str, str] = {}
        self._last_moment = datetime.now(UTC)
        self._first_order_pk, self._first_item_pk = FIRST_ORDER_PK, FIRST_ITEM_PK
        self._reset_data()

    def _reset_data(self) -> None:
        self._channels = {channel["pk"]: dict(channel) for channel in SEED_CHANNELS}
        self._cargo_companies = {company["pk"]: dict(company) for company in SEED_CARGO_COMPANIES}
        self._orders: dict[int, dict[str, Any]] = {}
        self._item_order: dict[int, int] = {}
        self._products: dict[str, int] = {}
        self._next_order_pk = self._first_order_pk
        self._next_item_pk = self._first_item_pk
        self._next_product_pk = FIRST_PRODUCT_PK

    def numbering_start(self, *, order_pk: int, item_pk: int) -> None:
        """Number new orders and items from these pks on, after a reset too (a sandbox restarted
        next to an OMS that holds orders starts past them: no Omnitron id is used twice)."""
        with self.lock:
            self._first_order_pk, self._first_item_pk = order_pk, item_pk
            self._next_order_pk, self._next_item_pk = order_pk, item_pk

    def reset(self) -> None:
        """Back to the seed data: no orders, seed channels and cargo companies; users and tokens stay."""
        with self.lock:
            self._reset_data()

    def now(self) -> datetime:
        """The current UTC time, strictly increasing, so modified dates never tie within the sandbox."""
        with self.lock:
            moment = max(datetime.now(UTC), self._last_moment + timedelta(microseconds=1))
            self._last_moment = moment
            return moment

    # Users and tokens

    def login(self, username: Any, password: Any) -> str:
        """The user's token (the same one until tokens are expired), like DRF's authtoken."""
        if not username or not isinstance(username, str):
            raise invalid("username", "This field is required.")
        if not password or not isinstance(password, str):
            raise invalid("password", "This field is required.")
        with self.lock:
            if self._users.get(username) != password:
                raise invalid("non_field_errors", "Unable to log in with provided credentials.")
            for token, owner in self._tokens.items():
                if owner == username:
                    return token
            token = secrets.token_hex(20)
            self._tokens[token] = username
            return token

    def authenticate(self, token: str) -> str | None:
        """The user a token belongs to, or None."""
        with self.lock:
            return self._tokens.get(token)

    def expire_tokens(self) -> int:
        """Invalidate every token; returns how many there were."""
        with self.lock:
            count = len(self._tokens)
            self._tokens.clear()
            return count

    # Channels and cargo companies

    def channels(self) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(self._channels[pk]) for pk in sorted(self._channels)]

    def channel(self, pk: int) -> dict[str, Any]:
        with self.lock:
            if pk not in self._channels:
                raise not_found()
            return dict(self._channels[pk])

    def channel_create(self, data: dict[str, Any]) -> dict[str, Any]:
        """Add a channel: `name` required, `pk`, `channel_type`, `is_active` optional."""
        name = text_of(data, "name", "")
        if not name:
            raise invalid("name", "This field is required.")
        is_active = data.get("is_active", True)
        if not isinstance(is_active, bool):
            raise invalid("is_active", "Must be true or false.")
        with self.lock:
            pk = self._new_pk(data, self._channels)
            channel = {
                "pk": pk,
                "name": name,
                "channel_type": text_of(data, "channel_type", "sales_channel"),
                "is_active": is_active,
            }
            self._channels[pk] = channel
            return dict(channel)

    def cargo_companies(self) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(self._cargo_companies[pk]) for pk in sorted(self._cargo_companies)]

    def cargo_company(self, pk: int) -> dict[str, Any]:
        with self.lock:
            if pk not in self._cargo_companies:
                raise not_found()
            return dict(self._cargo_companies[pk])

    def cargo_company_create(self, data: dict[str, Any]) -> dict[str, Any]:
        """Add a cargo company: `name` required, `pk`, `erp_code`, `shipping_company` optional."""
        name = text_of(data, "name", "")
        if not name:
            raise invalid("name", "This field is required.")
        erp_code = text_of(data, "erp_code", "-".join(name.lower().split()))
        with self.lock:
            pk = self._new_pk(data, self._cargo_companies)
            company = {
                "pk": pk,
                "name": name,
                "erp_code": erp_code,
                "shipping_company": text_of(data, "shipping_company", erp_code.split("-")[0]),
            }
            self._cargo_companies[pk] = company
            return dict(company)

    @staticmethod
    def _new_pk(data: dict[str, Any], existing: dict[int, Any]) -> int:
        if data.get("pk") is None:
            return max(existing, default=0) + 1
        pk = pk_of(data["pk"], "pk")
        if pk in existing:
            raise invalid("pk", f"{pk} already exists.")
        return pk

    # Orders

    def order_create(self, data: dict[str, Any]) -> dict[str, Any]:
        """Create an order from the control endpoint's body; returns its full Order JSON."""
        if not isinstance(data, dict):
            raise invalid("non_field_errors", "The body must be a JSON object.")
        channel = data.get("channel")
        if channel is None:
            raise invalid("channel", "This field is required.")
        cargo_company = data.get("cargo_company")
        status = wire_status(data.get("status", "400"))
        items_data = self._items_data(data)
        with self.lock:
            if isinstance(channel, bool) or not isinstance(channel, int) or channel not in self._channels:
                raise invalid("channel", f'Invalid pk "{channel}" - object does not exist.')
            if cargo_company is not None and (
                isinstance(cargo_company, bool)
                or not isinstance(cargo_company, int)
                or cargo_company not in self._cargo_companies
            ):
                raise invalid("cargo_company", f'Invalid pk "{cargo_company}" - object does not exist.')
            pk = self._order_pk(data)
            now = self.now()
            date_placed = (
                parse_datetime(data["date_placed"], "date_placed") if data.get("date_placed") else now
            )
            modified = (
                parse_datetime(data["modified_date"], "modified_date") if data.get("modified_date") else now
            )
            items = [self._item(item, index, status) for index, item in enumerate(items_data)]
            shipping_amount = money(data.get("shipping_amount", "0"), "shipping_amount")
            amount = sum((Decimal(item["price"]) for item in items), Decimal(shipping_amount))
            order = {
                "pk": pk,
                "number": text_of(data, "number", f"SB-{pk}"),
                "channel": channel,
                "status": status,
                "date_placed": wire_datetime(date_placed),
                "modified_date": wire_datetime(modified),
                "currency": text_of(data, "currency", "try"),
                "amount": str(amount),
                "shipping_amount": shipping_amount,
                "cargo_company": cargo_company,
                "tracking_number": self._tracking_number(data, pk),
                "delivery_type": text_of(data, "delivery_type", "standard"),
                "shipping_option_slug": text_of(data, "shipping_option_slug", "standard"),
                "extra_field": dict(data.get("extra_field") or {"id": f"MP-{pk}"}),
                "orderitem_set": items,
            }
            self._orders[pk] = order
            for item in items:
                self._item_order[item["pk"]] = pk
            created = copy.deepcopy(order)
        self._on_order_created(copy.deepcopy(created))
        return created

    @staticmethod
    def _tracking_number(data: dict[str, Any], pk: int) -> str | None:
        value = data.get("tracking_number", f"7330{pk:09d}")
        if value is not None and not isinstance(value, str):
            raise invalid("tracking_number", f"A string or null is required, not {value!r}.")
        return value

    @staticmethod
    def _items_data(data: dict[str, Any]) -> list[dict[str, Any]]:
        items = data.get("items")
        if items is None:
            count = data.get("item_count", 1)
            if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 1000:
                raise invalid("item_count", "An integer from 1 to 1000 is required.")
            return [{} for _ in range(count)]
        if not isinstance(items, list) or not items or not all(isinstance(item, dict) for item in items):
            raise invalid("items", "A non-empty list of objects is required.")
        return items

    def _order_pk(self, data: dict[str, Any]) -> int:
        if data.get("pk") is None:
            pk = self._next_order_pk
        else:
            pk = pk_of(data["pk"], "pk")
            if pk in self._orders:
                raise invalid("pk", f"Order {pk} already exists.")
        self._next_order_pk = max(self._next_order_pk, pk + 1)
        return pk

    def _item(self, data: dict[str, Any], index: int, order_status: str) -> dict[str, Any]:
        sku = text_of(data, "sku", f"SKU-{index + 1}") or f"SKU-{index + 1}"
        if sku not in self._products:
            self._products[sku] = self._next_product_pk
            self._next_product_pk += 1
        product_pk = self._products[sku]
        pk = self._next_item_pk
        self._next_item_pk += 1
        return {
            "pk": pk,
            "product": {
                "pk": product_pk,
                "sku": sku,
                "barcode": text_of(data, "barcode", f"869{product_pk:010d}"),
                "name": text_of(data, "name", sku),
            },
            "status": wire_status(data["status"], f"items[{index}].status")
            if "status" in data
            else order_status,
            "price": money(data.get("price", "100.00"), f"items[{index}].price"),
            "price_currency": text_of(data, "price_currency", "try"),
            "tracking_number": data.get("tracking_number") or "",
            "extra_field": dict(data.get("extra_field") or {}),
        }

    def order(self, pk: int) -> dict[str, Any]:
        with self.lock:
            if pk not in self._orders:
                raise not_found()
            return copy.deepcopy(self._orders[pk])

    def orders(
        self,
        *,
        ids: Iterable[int] | None = None,
        status: str | None = None,
        modified_gte: datetime | None = None,
        modified_lte: datetime | None = None,
    ) -> list[dict[str, Any]]:
        """Orders matching the filters, ordered by modified date then pk."""
        with self.lock:
            if ids is None:
                candidates = list(self._orders.values())
            else:
                candidates = [self._orders[pk] for pk in set(ids) if pk in self._orders]
            selected = []
            for order in candidates:
                modified = datetime.fromisoformat(order["modified_date"])
                if status is not None and order["status"] != status:
                    continue
                if modified_gte is not None and modified < modified_gte:
                    continue
                if modified_lte is not None and modified > modified_lte:
                    continue
                selected.append((modified, order["pk"], order))
            selected.sort(key=lambda entry: (entry[0], entry[1]))
            return [copy.deepcopy(order) for _, _, order in selected]

    def order_status_set(self, pk: int, status: Any, tracking_number: Any = ...) -> dict[str, Any]:
        """Set an order's and all its items' status (and optionally its tracking number)."""
        code = wire_status(status)
        if (
            tracking_number is not ...
            and tracking_number is not None
            and not isinstance(tracking_number, str)
        ):
            raise invalid("tracking_number", "A string or null is required.")
        with self.lock:
            if pk not in self._orders:
                raise not_found()
            order = self._orders[pk]
            order["status"] = code
            for item in order["orderitem_set"]:
                item["status"] = code
            if tracking_number is not ...:
                order["tracking_number"] = tracking_number
            order["modified_date"] = wire_datetime(self.now())
            return copy.deepcopy(order)

    # Order items

    def _item_find(self, pk: int) -> tuple[dict[str, Any], dict[str, Any]]:
        order = self._orders[self._item_order[pk]]
        item = next(item for item in order["orderitem_set"] if item["pk"] == pk)
        return order, item

    def _items_apply(self, changes: list[tuple[int, str]]) -> None:
        """Apply item statuses; an order whose items all end up in one status takes that status."""
        touched: dict[int, dict[str, Any]] = {}
        for pk, status in changes:
            order, item = self._item_find(pk)
            if item["status"] != status:
                item["status"] = status
                touched[order["pk"]] = order
        for order in touched.values():
            statuses = {item["status"] for item in order["orderitem_set"]}
            if len(statuses) == 1:
                order["status"] = statuses.pop()
            order["modified_date"] = wire_datetime(self.now())

    def items_status_bulk_update(self, data: Any) -> dict[str, Any]:
        """The bulk status endpoint: all items change, or none (400 naming the rejected ids)."""
        if not isinstance(data, dict) or not isinstance(data.get("orderitem_set"), list):
            raise invalid("orderitem_set", "This field is required and must be a list.")
        changes: list[tuple[int, str]] = []
        for index, entry in enumerate(data["orderitem_set"]):
            if not isinstance(entry, dict):
                raise invalid("orderitem_set", f"Entry {index} must be an object with id and status.")
            pk = entry.get("id")
            if isinstance(pk, bool) or not isinstance(pk, int):
                raise invalid("orderitem_set", f"Entry {index}: id must be an integer, not {pk!r}.")
            try:
                status = wire_status(entry.get("status"), "status", strict=True)
            except SandboxError as exc:
                raise invalid("orderitem_set", f"Entry {index} (id {pk}): {exc.body['status'][0]}") from None
            changes.append((pk, status))
        with self.lock:
            unknown = sorted({pk for pk, _ in changes if pk not in self._item_order})
            if unknown:
                raise invalid(
                    "orderitem_set",
                    f"Order items do not exist: {', '.join(str(pk) for pk in unknown)}. Nothing was changed.",
                )
            self._items_apply(changes)
            return {
                "orderitem_set": [{"id": pk, "status": self._item_find(pk)[1]["status"]} for pk, _ in changes]
            }

    def item_status_update(self, pk: int, data: Any) -> dict[str, Any]:
        """`PATCH /api/v1/order_items/{pk}/` with `{"status": "450"}`: the item with its order pk."""
        with self.lock:
            if pk not in self._item_order:
                raise not_found()
        if not isinstance(data, dict) or "status" not in data:
            raise invalid("status", "This field is required.")
        status = wire_status(data["status"], strict=True)
        with self.lock:
            self._items_apply([(pk, status)])
            order, item = self._item_find(pk)
            return {**copy.deepcopy(item), "order": order["pk"]}
