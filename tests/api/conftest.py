"""Rows and payloads shared by the API tests (rows are made with the ORM, as the API reads them)."""

import copy
import itertools

import pytest

from oms.channels.models import Channel
from oms.core.statuses import OrderStatus, PackageStatus, ShipmentStatus
from oms.orders.models import Order, OrderItem
from oms.packages.models import Package, PackageItem, StockLocation
from oms.shipments.models import CargoCompany, Shipment

API = "/api/v1/oms"
CONDITION_KLASS = "oms.shipments.shipment_conditions.ChannelBasedOrdersCondition"
CLIENT_KLASS = "oms.shipments.clients.omnitron_shipment_client.OmnitronShipmentClient"

# The seed's body, verbatim.
SEED_CONDITION = {
    "cargo_company": 1,
    "rules_configuration": {
        "rules": [
            {
                "klass": "oms.shipments.shipment_conditions.ChannelBasedOrdersCondition",
                "params": {
                    "condition_type": "sales_channel",
                    "channels": [42],
                    "conf": {
                        "klass": "oms.shipments.clients.omnitron_shipment_client.OmnitronShipmentClient"
                    },
                },
            }
        ]
    },
}

_numbers = itertools.count(1)


def seed_condition() -> dict:
    """A fresh deep copy of the seed's condition body, safe to mutate."""
    return copy.deepcopy(SEED_CONDITION)


@pytest.fixture
def cargo_company_1(db) -> CargoCompany:
    return CargoCompany.objects.create(id=1, name="Trendyol Express", omnitron_id=7)


@pytest.fixture
def channel_42(db) -> Channel:
    return Channel.objects.create(id=42, name="Trendyol", channel_type="sales_channel", omnitron_id=4200)


@pytest.fixture
def seed_setup(cargo_company_1, channel_42):
    """What the seed's condition body refers to: cargo company 1 and channel 42."""
    return cargo_company_1, channel_42


def make_order(*, channel: Channel, items: int = 1, status: int = OrderStatus.APPROVED, **fields) -> Order:
    n = next(_numbers)
    order = Order.objects.create(
        omnitron_id=fields.pop("omnitron_id", 900_000 + n),
        number=fields.pop("number", f"ORD-{n:06d}"),
        channel=channel,
        status=status,
        **fields,
    )
    for i in range(items):
        OrderItem.objects.create(
            order=order,
            omnitron_id=order.omnitron_id * 100 + i,
            sku=f"SKU-{n}-{i}",
            barcode=f"BC-{n}-{i}",
            product_name="T-shirt",
            price="10.00",
            price_currency="try",
        )
    return order


def make_package(*, order: Order, status: int = PackageStatus.WAITING, shipment: bool = False) -> Package:
    package = Package.objects.create(
        number=f"PKG-{order.number}-{next(_numbers)}",
        order=order,
        stock_location=StockLocation.objects.get(is_default=True),
        status=status,
    )
    for order_item in order.items.order_by("id"):
        PackageItem.objects.create(package=package, order_item=order_item, status=status)
    if shipment:
        Shipment.objects.create(
            package=package,
            cargo_company=order.cargo_company,
            tracking_number=f"TRK-{package.pk}",
            status=ShipmentStatus.CREATED,
            client=CLIENT_KLASS,
        )
    return package
