"""What a cancellation or refund does to a package (the order-level service is in
`oms.orders.cancellations`, which calls these inside its transaction).

Every change is made with the same compare and set as the command engine
(`oms.packages.services`): an UPDATE that moves (or touches) the package only while it is still in
the status the change was planned from. A concurrent packing and cancellation therefore meet on
the same row and exactly one of them wins; the other plans again from what the winner left.
"""

from datetime import datetime

from oms.core.errors import DomainError
from oms.core.statuses import PackageStatus, ShipmentStatus
from oms.events.catalogue import PACKAGE_CREATED, package_key
from oms.events.services import event_record, package_events_record
from oms.omnitron.models import OmnitronReport, ReportKind, ReportState
from oms.packages.events import package_representation
from oms.packages.models import Package, PackageItem
from oms.shipments.models import Shipment
from oms.transitions.models import StateTransition, StateTransitionLog, TransitionModel

BEFORE_PACKING = frozenset({PackageStatus.WAITING, PackageStatus.PREPARING, PackageStatus.READY_TO_PACK})
ON_THE_WAY = frozenset({PackageStatus.SHIPPED, PackageStatus.ATTEMPTED_DELIVERY})
CANCEL_PACKAGE = "CANCEL_PACKAGE"
CANCEL_PACKED_PACKAGE = "CANCEL_PACKED_PACKAGE"
# Timeline entries of cancellations that move no status (the package keeps it).
ITEMS_CANCELLED = "ITEMS_CANCELLED"
CANCELLATION_REQUESTED = "CANCELLATION_REQUESTED"
REFUND_REQUESTED = "REFUND_REQUESTED"


class PackageMoved(Exception):
    """The package left the status a change was planned from: plan again."""


def _log(
    *, package: Package, command: str, old: int, new: int, attributes: dict, now: datetime, transition=None
):
    StateTransitionLog.objects.create(
        package=package,
        transition=transition,
        command=command,
        old_state=old,
        new_state=new,
        attributes=attributes,
        created_at=now,
    )


def _compare_and_set(*, package: Package, now: datetime, **fields) -> None:
    """Write `fields` on the package only if its status is still the one read; else PackageMoved."""
    moved = Package.objects.filter(pk=package.pk, status=package.status).update(modified_at=now, **fields)
    if not moved:
        raise PackageMoved(package.pk)


def package_cancel(*, package: Package, attributes: dict, now: datetime) -> None:
    """Before packing, nothing left: the package and its items become cancelled (CANCEL_PACKAGE)."""
    transition = StateTransition.objects.filter(
        model=TransitionModel.PACKAGE, slug=CANCEL_PACKAGE, source_state=package.status
    ).first()
    _compare_and_set(package=package, now=now, status=PackageStatus.CANCELLED)
    PackageItem.objects.filter(package_id=package.pk).update(status=PackageStatus.CANCELLED, modified_at=now)
    attributes = {
        "slug": CANCEL_PACKAGE,
        "transition_id": transition.pk if transition else None,
        **attributes,
    }
    _log(
        package=package,
        command=CANCEL_PACKAGE,
        old=package.status,
        new=PackageStatus.CANCELLED,
        attributes=attributes,
        now=now,
        transition=transition,
    )
    package_events_record(package_id=package.pk, new_status=PackageStatus.CANCELLED, now=now)


def _cancelled_package_split_off(*, package: Package, order_item_ids: list[int], now: datetime) -> Package:
    """Move the items to a new package of the order, cancelled (950) with them."""
    number = f"{package.number}-C{Package.objects.filter(order_id=package.order_id).count()}"
    cancelled = Package.objects.create(
        number=number,
        order_id=package.order_id,
        stock_location_id=package.stock_location_id,
        status=PackageStatus.CANCELLED,
    )
    PackageItem.objects.filter(package_id=package.pk, order_item_id__in=order_item_ids).update(
        package=cancelled, status=PackageStatus.CANCELLED, modified_at=now
    )
    event_record(
        type=PACKAGE_CREATED,
        key=package_key(cancelled.pk),
        data=lambda: package_representation(cancelled.pk),
        now=now,
    )
    package_events_record(package_id=cancelled.pk, new_status=PackageStatus.CANCELLED, now=now)
    return cancelled


def package_items_split_off(
    *, package: Package, order_item_ids: list[int], attributes: dict, now: datetime
) -> Package:
    """Before packing, some items left: they move to a new package, cancelled (950) with them.

    The package keeps the rest and its status: it is packed as planned, with fewer items.
    """
    _compare_and_set(package=package, now=now)
    cancelled = _cancelled_package_split_off(package=package, order_item_ids=order_item_ids, now=now)
    number = cancelled.number
    split = {**attributes, "from_package": package.number, "cancelled_package": number}
    _log(
        package=package,
        command=ITEMS_CANCELLED,
        old=package.status,
        new=package.status,
        attributes=split,
        now=now,
    )
    _log(
        package=cancelled,
        command=CANCEL_PACKAGE,
        old=package.status,
        new=PackageStatus.CANCELLED,
        attributes=split,
        now=now,
    )
    return cancelled


def package_cancellation_request(
    *, package: Package, order_item_ids: list[int], attributes: dict, now: datetime
) -> None:
    """After packing: the parcel is to be pulled back (or, already on its way, shipped after
    cancellation). The cancelled items are marked; their pending "preparing" news is dropped."""
    fields = {} if package.cancellation_requested_at else {"cancellation_requested_at": now}
    _compare_and_set(package=package, now=now, **fields)
    PackageItem.objects.filter(package_id=package.pk, order_item_id__in=order_item_ids).update(
        status=PackageStatus.CANCELLED, modified_at=now
    )
    _log(
        package=package,
        command=CANCELLATION_REQUESTED,
        old=package.status,
        new=package.status,
        attributes=attributes,
        now=now,
    )


def package_refund_request(*, package: Package, attributes: dict, now: datetime) -> None:
    """Shipped or delivered: the refunded items will come back; the package waits for them."""
    fields = {} if package.refund_requested_at else {"refund_requested_at": now}
    _compare_and_set(package=package, now=now, **fields)
    _log(
        package=package,
        command=REFUND_REQUESTED,
        old=package.status,
        new=package.status,
        attributes=attributes,
        now=now,
    )


def preparing_reports_withdraw(*, package_id: int, omnitron_item_ids: set[int], now: datetime) -> list[int]:
    """Take cancelled items out of the package's reports not sent yet; a report left with none is
    superseded (never sent). Returns the ids of the reports superseded."""
    superseded = []
    open_reports = OmnitronReport.objects.select_for_update().filter(
        package_id=package_id,
        kind=ReportKind.ORDER_ITEM_STATUSES,
        state__in=[ReportState.PENDING, ReportState.FAILED],
    )
    for report in open_reports:
        rows = report.payload.get("orderitem_set", []) if isinstance(report.payload, dict) else []
        kept = [row for row in rows if int(row.get("id", 0)) not in omnitron_item_ids]
        if len(kept) == len(rows):
            continue
        if kept:
            OmnitronReport.objects.filter(pk=report.pk).update(
                # Keep the rest of the payload (the order ids the outbox reads before sending).
                payload={**report.payload, "orderitem_set": kept},
                modified_at=now,
            )
            continue
        OmnitronReport.objects.filter(pk=report.pk).update(
            state=ReportState.SUPERSEDED,
            next_attempt_at=None,
            last_error=(
                "Superseded, not sent: Omnitron cancelled the items it would have reported as preparing."
            ),
            modified_at=now,
        )
        superseded.append(report.pk)
    return superseded


def packing_items_check(*, package: Package, order_item_ids: list[int]) -> None:
    """Refuse to pack a package whose items were cancelled, or changed since packing was planned."""
    rows = list(PackageItem.objects.filter(package_id=package.pk).values_list("order_item_id", "status"))
    cancelled = sorted(item for item, status in rows if status == PackageStatus.CANCELLED)
    changed = set(order_item_ids) != {item for item, _ in rows}
    if cancelled or changed or not rows:
        raise DomainError(
            f"Package {package.number} cannot be packed: items of its order were cancelled in Omnitron"
            + (f" (order items {', '.join(map(str, cancelled))})" if cancelled else "")
            + ". Cancelled items were taken out of the package: look at it again and pack what is left.",
            field="slug",
        )


def packed_package_cancel(*, package: Package, now: datetime) -> None:
    """The operator took the parcel off the outgoing pile: items cancelled, shipment no longer followed."""
    PackageItem.objects.filter(package_id=package.pk).update(status=PackageStatus.CANCELLED, modified_at=now)
    Shipment.objects.filter(package_id=package.pk).update(
        status=ShipmentStatus.CANCELLED, next_check_at=None, modified_at=now
    )


def packed_package_repack(*, package: Package, order_item_ids: list[int], now: datetime) -> str:
    """The operator took the cancelled items out of a packed parcel: they move to a new package,
    cancelled with them; the parcel stays packed with the rest, and its cancellation mark is
    cleared. Runs on the package the command engine has just locked. Returns the new package's number."""
    cancelled = _cancelled_package_split_off(package=package, order_item_ids=order_item_ids, now=now)
    Package.objects.filter(pk=package.pk).update(cancellation_requested_at=None, modified_at=now)
    return cancelled.number
