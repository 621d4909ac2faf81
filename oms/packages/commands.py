"""The closed registry of package commands.

A `StateTransition` row names one of these codes (its `command`); what the code does lives here,
in code. Each command validates its own `input_parameters` and does its work on a package that
the engine (`oms.packages.services.package_command_run`) has already locked and checked.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from rest_framework import serializers

from oms.core.errors import DomainError
from oms.core.serializers import StrictFieldsMixin
from oms.core.statuses import OrderStatus, PackageStatus
from oms.events.catalogue import SHIPMENT_CREATED, package_key
from oms.events.services import event_record
from oms.omnitron.boundary import omnitron_ask
from oms.omnitron.client import omnitron_client_get
from oms.omnitron.reports import report_order_item_statuses_enqueue
from oms.packages.cancellations import packing_items_check
from oms.packages.listeners import PackagePacked, package_packed_notify
from oms.packages.models import Package, PackageItem
from oms.shipments.clients.base import ShipmentClient
from oms.shipments.events import shipment_representation
from oms.shipments.models import Shipment
from oms.shipments.services import shipment_client_route


@dataclass(frozen=True)
class CommandContext:
    package: Package
    destination: int
    params: dict[str, Any]
    now: datetime
    # What the command's `prepare` returned.
    prepared: Any = None


class NoInputSerializer(StrictFieldsMixin, serializers.Serializer):
    pass


class PackageCommand:
    code: ClassVar[str]
    description: ClassVar[str]
    sources: ClassVar[frozenset[int]]
    destinations: ClassVar[frozenset[int]]
    input_serializer: ClassVar[type[serializers.Serializer]] = NoInputSerializer

    def prepare(self, *, package: Package, params: dict[str, Any]) -> Any:
        """Read and check what the work needs, before the package is locked; refuse with DomainError.

        Runs on an unlocked read of the package (with its order, channel and cargo company). The
        engine then moves the package only if its status is still the one read here (a compare
        and set that locks it) and calls `run` in that transaction, so no other command can have
        changed what this read meanwhile.
        """
        return None

    def run(self, ctx: CommandContext) -> dict[str, Any]:
        """Do the work on the package the engine has just moved to `ctx.destination` (locked).

        Returns the attributes for the transition log.
        """
        raise NotImplementedError


def _move_items(package: Package, status: int, now: datetime) -> None:
    PackageItem.objects.filter(package_id=package.pk).update(status=status, modified_at=now)


class PreparePackageCommand(PackageCommand):
    code = "PREPARE_PACKAGE"
    description = "Start picking a package's items."
    sources = frozenset({PackageStatus.WAITING})
    destinations = frozenset({PackageStatus.PREPARING})

    def run(self, ctx: CommandContext) -> dict[str, Any]:
        _move_items(ctx.package, ctx.destination, ctx.now)
        return {}


class ReadyToPackCommand(PackageCommand):
    code = "READY_TO_PACK"
    description = "All items picked: the package is ready to be packed."
    sources = frozenset({PackageStatus.PREPARING})
    destinations = frozenset({PackageStatus.READY_TO_PACK})

    def run(self, ctx: CommandContext) -> dict[str, Any]:
        _move_items(ctx.package, ctx.destination, ctx.now)
        return {}


class ChannelBasedPackagingInput(StrictFieldsMixin, serializers.Serializer):
    barcodes = serializers.ListField(
        child=serializers.CharField(max_length=128),
        required=False,
        max_length=10_000,
        help_text="Barcodes scanned at the packing table; when given, every item must be scanned.",
    )


def barcodes_check(*, expected: list[str], scanned: list[str]) -> None:
    """Every expected barcode scanned once per item, and nothing else; else a 400 naming them."""
    missing = Counter(expected) - Counter(scanned)
    unknown = Counter(scanned) - Counter(expected)
    problems = []
    if missing:
        problems.append(
            "not scanned: " + ", ".join(f"{code} x{n}" if n > 1 else code for code, n in missing.items())
        )
    if unknown:
        problems.append(
            "not in this package: "
            + ", ".join(f"{code} x{n}" if n > 1 else code for code, n in unknown.items())
        )
    if problems:
        raise DomainError(
            "Scanned barcodes do not match the package (" + "; ".join(problems) + "). "
            "Scan each item of the package once and send the list again.",
            field="barcodes",
        )


@dataclass(frozen=True)
class _Packing:
    items: list[tuple[int, int, str]]  # order item id, its Omnitron pk, its barcode
    client_cls: type[ShipmentClient]
    tracking_number: str


def _tracking_number_fetch(order_omnitron_id: int) -> str:
    """Before locking: the order has no tracking number in OMS, so read the order from Omnitron once.

    Done outside any transaction (the engine plans before it writes), so a slow Omnitron never
    holds a lock. "" when Omnitron has no such order or no tracking number on it.
    """
    omnitron_order = omnitron_ask(
        lambda omnitron: omnitron.order_get(order_omnitron_id),
        client_factory=omnitron_client_get,
        field="tracking_number",
        not_found=None,
        unavailable=lambda error: (
            f"The order has no tracking number in OMS and Omnitron could not be asked for it: {error}. "
            "Nothing was changed; try again shortly."
        ),
        failed=lambda error: (
            f"The order has no tracking number in OMS and reading it from Omnitron failed: {error}"
        ),
    )
    return omnitron_order.tracking_number if omnitron_order is not None else ""


class ChannelBasedCompletePackagingCommand(PackageCommand):
    """Pack a marketplace package. The marketplace's carrier ships it: no cargo API is called."""

    code = "CHANNEL_BASED_COMPLETE_PACKAGING"
    description = (
        "Pack a marketplace package: shipment with the marketplace's tracking number, items "
        "packed, order items reported to Omnitron as preparing."
    )
    sources = frozenset({PackageStatus.WAITING, PackageStatus.PREPARING, PackageStatus.READY_TO_PACK})
    destinations = frozenset({PackageStatus.PACKED})
    input_serializer = ChannelBasedPackagingInput

    def prepare(self, *, package: Package, params: dict[str, Any]) -> _Packing:
        order = package.order
        items = list(
            PackageItem.objects.filter(package_id=package.pk)
            .values_list("order_item_id", "order_item__omnitron_id", "order_item__barcode")
            .order_by("id")
        )
        packing_items_check(package=package, order_item_ids=[row[0] for row in items])
        if "barcodes" in params:
            barcodes_check(expected=[row[2] for row in items], scanned=params["barcodes"])
        client_cls = shipment_client_route(
            channel_id=order.channel_id,
            channel_type=order.channel.channel_type,
            cargo_company_id=order.cargo_company_id,
            order_number=order.number,
            omnitron_cargo_company_id=order.omnitron_cargo_company_id,
        )
        tracking_number = client_cls().tracking_number_for(order=order)
        if not tracking_number and not order.tracking_number:
            tracking_number = _tracking_number_fetch(order.omnitron_id)
        if not tracking_number:
            raise DomainError(
                f"Order {order.number} has no tracking number, in OMS or in Omnitron: the marketplace "
                "has not assigned one yet. Try again once Omnitron's order carries it.",
                field="tracking_number",
            )
        return _Packing(items=items, client_cls=client_cls, tracking_number=tracking_number)

    def run(self, ctx: CommandContext) -> dict[str, Any]:
        package, packing = ctx.package, ctx.prepared
        # Cancellation meets packing on the package row: re-read the items now that it is held.
        packing_items_check(package=package, order_item_ids=[row[0] for row in packing.items])
        order = package.order
        client_cls, tracking_number, items = packing.client_cls, packing.tracking_number, packing.items
        if not order.tracking_number:
            order.tracking_number = tracking_number
            order.save(update_fields=["tracking_number", "modified_at"])

        shipment = Shipment.objects.create(
            package=package,
            cargo_company_id=order.cargo_company_id,
            tracking_number=tracking_number,
            client=client_cls.path,
            # Followed shipments are first looked at in Omnitron on the next resolution cycle.
            next_check_at=ctx.now if client_cls.follows_omnitron_status else None,
        )
        event_record(
            type=SHIPMENT_CREATED,
            key=package_key(package.pk),
            data=lambda: shipment_representation(shipment),
            now=ctx.now,
        )
        _move_items(package, ctx.destination, ctx.now)
        package_packed_notify(
            PackagePacked(
                package_id=package.pk,
                order_id=order.pk,
                order_item_ids=tuple(row[0] for row in items),
                now=ctx.now,
            )
        )
        report = report_order_item_statuses_enqueue(
            package_id=package.pk,
            statuses={row[1]: OrderStatus.PREPARING for row in items},
            order_ids=[order.omnitron_id],
            now=ctx.now,
        )
        return {"shipment": shipment.pk, "tracking_number": tracking_number, "report": report.pk}


COMMAND_CLASSES: dict[str, type[PackageCommand]] = {
    cls.code: cls
    for cls in [
        ChannelBasedCompletePackagingCommand,
        PreparePackageCommand,
        ReadyToPackCommand,
    ]
}


def package_commands_add(classes: dict[str, type[PackageCommand]]) -> None:
    """Add the commands another module of packages defines (from `PackagesConfig.ready()`)."""
    for code, cls in classes.items():
        known = COMMAND_CLASSES.get(code)
        if known is not None and known is not cls:
            raise ValueError(f"Package command {code} is already defined by {known.__name__}.")
        COMMAND_CLASSES[code] = cls
