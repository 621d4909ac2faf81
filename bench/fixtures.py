"""Test data made fast: one order goes through the real code (ingestion, and packaging when asked),
then its rows are copied with bulk inserts, changing only what must differ (pks, numbers, tracking
numbers). The copies therefore have exactly the columns the real code writes, whatever it writes.
"""

import copy
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models.base import ModelState

BATCH = 1000


@dataclass
class OrderSpec:
    """What differs between copies: the Omnitron order pk, its item pks and tracking number."""

    pk: int
    item_pks: list[int]
    tracking_number: str
    number: str = ""
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_omnitron(cls, data: dict) -> "OrderSpec":
        return cls(
            pk=data["pk"],
            item_pks=[item["pk"] for item in data["orderitem_set"]],
            tracking_number=data.get("tracking_number") or "",
            number=data.get("number") or "",
            extra=dict(data.get("extra_field") or {}),
        )


def _fresh(instance, **changes):
    clone = copy.copy(instance)
    clone._state = ModelState()
    clone.pk = None
    for name, value in changes.items():
        setattr(clone, name, value)
    return clone


@dataclass
class Template:
    """An OMS order as the real code wrote it, with its items, package(s) and shipment, in memory."""

    order: Any
    items: list
    package: Any
    package_items: list
    shipment: Any


def template_load(order_id: int) -> Template:
    from oms.orders.models import Order
    from oms.packages.models import Package
    from oms.shipments.models import Shipment

    order = Order.objects.get(pk=order_id)
    package = Package.objects.get(order=order)
    return Template(
        order=order,
        items=list(order.items.order_by("id")),
        package=package,
        package_items=list(package.items.order_by("id")),
        shipment=Shipment.objects.filter(package=package).first(),
    )


def copy_order(template: Template | int, specs: list[OrderSpec]) -> list[int]:
    """Copies of an OMS order (items, package, package items, and shipment when it has one).

    `template` is an order id or a loaded `Template`. Returns the new package ids, in the order of
    `specs`.
    """
    from oms.orders.models import Order
    from oms.packages.models import Package
    from oms.shipments.models import Shipment

    if not isinstance(template, Template):
        template = template_load(template)
    order, items, package = template.order, template.items, template.package
    package_items, shipment = template.package_items, template.shipment
    item_index = {item.pk: index for index, item in enumerate(items)}
    for spec in specs:
        if len(spec.item_pks) != len(items):
            raise ValueError(f"order {spec.pk} has {len(spec.item_pks)} items, the template {len(items)}")

    orders = [
        _fresh(
            order,
            omnitron_id=spec.pk,
            number=spec.number or f"TY-{spec.pk}",
            tracking_number=spec.tracking_number,
            extra_field=spec.extra or {"id": f"TY-PKG-{spec.pk}"},
        )
        for spec in specs
    ]
    Order.objects.bulk_create(orders, batch_size=BATCH)
    new_items = [
        [_fresh(item, order_id=new.pk, omnitron_id=spec.item_pks[index]) for index, item in enumerate(items)]
        for new, spec in zip(orders, specs, strict=True)
    ]
    type(items[0]).objects.bulk_create([item for group in new_items for item in group], batch_size=BATCH)
    packages = [
        _fresh(package, order_id=new.pk, number=f"PKG-{spec.pk}-1")
        for new, spec in zip(orders, specs, strict=True)
    ]
    Package.objects.bulk_create(packages, batch_size=BATCH)
    type(package_items[0]).objects.bulk_create(
        [
            _fresh(
                package_item,
                package_id=new_package.pk,
                order_item_id=group[item_index[package_item.order_item_id]].pk,
            )
            for new_package, group in zip(packages, new_items, strict=True)
            for package_item in package_items
        ],
        batch_size=BATCH,
    )
    if shipment is not None:
        Shipment.objects.bulk_create(
            [
                _fresh(shipment, package_id=new_package.pk, tracking_number=spec.tracking_number)
                for new_package, spec in zip(packages, specs, strict=True)
            ],
            batch_size=BATCH,
        )
    return [new_package.pk for new_package in packages]


def delete_flow_rows() -> None:
    """Empty the tables of orders, packages, shipments and what hangs off them (configuration stays)."""
    from oms.omnitron.models import OmnitronReport, OmnitronReportAttempt
    from oms.orders.models import Order, OrderItem
    from oms.packages.models import Package, PackageItem
    from oms.shipments.models import Shipment, ShipmentObservation, TrackingNumberChange
    from oms.transitions.models import StateTransitionLog

    models = [
        StateTransitionLog,
        ShipmentObservation,
        TrackingNumberChange,
        OmnitronReportAttempt,
        OmnitronReport,
        Shipment,
        PackageItem,
        Package,
        OrderItem,
        Order,
    ]
    with connection.cursor() as cursor:
        for model in models:
            table = connection.ops.quote_name(model._meta.db_table)
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608 (a model's table name)
