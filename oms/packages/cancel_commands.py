"""Package commands of cancellations, registered with the others (`COMMAND_CLASSES`) at start-up.

CANCEL_PACKAGE (waiting, preparing, ready_to_pack -> cancelled) is what a cancellation before
packing runs when nothing is left in the package; an operator may run it too, on a package whose
items Omnitron has all cancelled. CANCEL_PACKED_PACKAGE (packed -> cancelled) is the operator's,
once a parcel whose cancellation was requested is off the outgoing pile.
"""

from typing import Any

from oms.core.errors import DomainError
from oms.core.statuses import PackageStatus
from oms.packages.cancellations import BEFORE_PACKING, packed_package_cancel
from oms.packages.commands import CommandContext, PackageCommand
from oms.packages.models import Package, PackageItem


def _not_cancelled(package: Package) -> list[int]:
    return sorted(
        PackageItem.objects.filter(package_id=package.pk)
        .exclude(status=PackageStatus.CANCELLED)
        .exclude(order_item__status__in=[50, 100])
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


CANCELLATION_COMMANDS = {cls.code: cls for cls in [CancelPackageCommand, CancelPackedPackageCommand]}
