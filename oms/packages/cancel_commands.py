"""Package commands of cancellations, registered with the others (`COMMAND_CLASSES`) at start-up.

CANCEL_PACKAGE (waiting, preparing, ready_to_pack -> cancelled) is what a cancellation before
packing runs when nothing is left in the package; an operator may run it too, on a package whose
items Omnitron has all cancelled. CANCEL_PACKED_PACKAGE (packed -> cancelled) is the operator's,
once a parcel whose cancellation was requested is off the outgoing pile. REPACK_PACKAGE (packed ->
packed) is the operator's too, for a parcel only some of whose items were cancelled: the cancelled
items are taken out (into a new package, cancelled), the parcel ships with the rest.
"""

from typing import Any

from django.db.models import Q

from oms.core.errors import DomainError
from oms.core.statuses import OrderStatus, PackageStatus
from oms.packages.cancellations import BEFORE_PACKING, packed_package_cancel, packed_package_repack
from oms.packages.commands import CommandContext, PackageCommand
from oms.packages.models import Package, PackageItem

CANCELLED_ORDER_ITEM_STATUSES = (OrderStatus.CANCELLATION_WAITING, OrderStatus.CANCELLED)


def _cancelled(package: Package) -> list[int]:
    """The order item ids of the package's items Omnitron cancelled."""
    return sorted(
        PackageItem.objects.filter(package_id=package.pk)
        .filter(Q(status=PackageStatus.CANCELLED) | Q(order_item__status__in=CANCELLED_ORDER_ITEM_STATUSES))
        .values_list("order_item_id", flat=True)
    )


def _not_cancelled(package: Package) -> list[int]:
    return sorted(
        PackageItem.objects.filter(package_id=package.pk)
        .exclude(status=PackageStatus.CANCELLED)
        .exclude(order_item__status__in=CANCELLED_ORDER_ITEM_STATUSES)
        .values_list("order_item__omnitron_id", flat=True)
    )


class CancelPackageCommand(PackageCommand):
    code = "CANCEL_PACKAGE"
    description = "Cancel a package not packed yet, whose items Omnitron cancelled."
    sources = BEFORE_PACKING
    destinations = frozenset({PackageStatus.CANCELLED})

    def prepare(self, *, package: Package, params: dict[str, Any]) -> None:
        left = _not_cancelled(package)
        if left:
            raise DomainError(
                f"Package {package.number} holds items Omnitron has not cancelled "
                f"({', '.join(map(str, left))}). OMS cancels a package when Omnitron cancels its items "
                "(a cancellation plan, or the order sent again with status 100).",
                field="slug",
            )

    def run(self, ctx: CommandContext) -> dict[str, Any]:
        PackageItem.objects.filter(package_id=ctx.package.pk).update(
            status=PackageStatus.CANCELLED, modified_at=ctx.now
        )
        return {}


class CancelPackedPackageCommand(PackageCommand):
    code = "CANCEL_PACKED_PACKAGE"
    description = "The parcel of a cancelled package is off the outgoing pile: cancel the package."
    sources = frozenset({PackageStatus.PACKED})
    destinations = frozenset({PackageStatus.CANCELLED})

    def prepare(self, *, package: Package, params: dict[str, Any]) -> None:
        if package.cancellation_requested_at is None:
            raise DomainError(
                f"Package {package.number} has no cancellation request: Omnitron has not cancelled "
                "its items, so it is shipped as packed.",
                field="slug",
            )
        left = _not_cancelled(package)
        if left:
            raise DomainError(
                f"Only some items of package {package.number} are cancelled; order items "
                f"{', '.join(map(str, left))} are not. Take the cancelled items out of the parcel "
                "and ship the rest.",
                field="slug",
            )

    def run(self, ctx: CommandContext) -> dict[str, Any]:
        packed_package_cancel(package=ctx.package, now=ctx.now)
        return {"shipment_followed": False}


class RepackPackageCommand(PackageCommand):
    code = "REPACK_PACKAGE"
    description = "Take the items Omnitron cancelled out of a packed parcel; it ships with the rest."
    sources = frozenset({PackageStatus.PACKED})
    destinations = frozenset({PackageStatus.PACKED})

    def prepare(self, *, package: Package, params: dict[str, Any]) -> list[int]:
        if package.cancellation_requested_at is None:
            raise DomainError(
                f"Package {package.number} has no cancellation request: Omnitron has not cancelled "
                "its items, so it is shipped as packed.",
                field="slug",
            )
        if not _not_cancelled(package):
            raise DomainError(
                f"Every item of package {package.number} is cancelled: nothing is left to ship. Once the "
                "parcel is off the outgoing pile, run CANCEL_PACKED_PACKAGE.",
                field="slug",
            )
        return _cancelled(package)

    def run(self, ctx: CommandContext) -> dict[str, Any]:
        # Read again on the locked package: a cancellation may have arrived since the plan.
        taken_out = _cancelled(ctx.package)
        number = packed_package_repack(package=ctx.package, order_item_ids=taken_out, now=ctx.now)
        return {"cancelled_package": number, "order_items_taken_out": taken_out}


CANCELLATION_COMMANDS = {
    cls.code: cls for cls in [CancelPackageCommand, CancelPackedPackageCommand, RepackPackageCommand]
}
