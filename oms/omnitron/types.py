"""Typed values of the Omnitron resources OMS reads (see docs/omnitron-contract.md).

Status codes are integers here; they are strings of digits only on the wire. `raw` keeps the JSON
the value was read from (for logs and audit); it takes no part in equality.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class OmnitronOrderItem:
    """One unit of one product in an Omnitron order (Omnitron has no quantity field)."""

    pk: int
    product_pk: int
    sku: str
    barcode: str
    name: str
    status: int
    price: Decimal
    price_currency: str = ""
    tracking_number: str = ""
    extra_field: dict[str, Any] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class OmnitronOrder:
    """An Omnitron order with its items."""

    pk: int
    number: str
    channel: int
    status: int
    date_placed: datetime
    modified_date: datetime
    items: tuple[OmnitronOrderItem, ...]
    currency: str = ""
    amount: Decimal = Decimal("0")
    shipping_amount: Decimal = Decimal("0")
    cargo_company: int | None = None
    tracking_number: str = ""
    delivery_type: str = ""
    shipping_option_slug: str = ""
    extra_field: dict[str, Any] = field(default_factory=dict, hash=False)
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False, hash=False)

    @property
    def effective_tracking_number(self) -> str:
        """The order's tracking number, else the first item's own one, else ""."""
        if self.tracking_number:
            return self.tracking_number
        return next((item.tracking_number for item in self.items if item.tracking_number), "")


@dataclass(frozen=True)
class OmnitronChannel:
    """A sales channel in Omnitron (`channel_type` is a free string, e.g. `sales_channel`)."""

    pk: int
    name: str
    channel_type: str
    is_active: bool = True


@dataclass(frozen=True)
class OmnitronCargoCompany:
    """A cargo company in Omnitron."""

    pk: int
    name: str
    erp_code: str = ""
    shipping_company: str = ""
