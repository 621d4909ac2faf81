"""The dashboard's cancellation queues: parcels to pull back, and returns to receive."""

from dataclasses import dataclass

from django.db.models import Prefetch

from oms.core.statuses import OrderStatus, PackageStatus
from oms.packages.models import Package, PackageItem

LIST_LIMIT = 50
ON_ITS_WAY = (PackageStatus.SHIPPED, PackageStatus.ATTEMPTED_DELIVERY, PackageStatus.DELIVERED)


@dataclass
class QueueRow:
    package: Package
    where: str  # where the parcel is, in words
    shipped_after_cancellation: bool
    items: list[int]  # Omnitron pks of the items cancelled (or refunded)


@dataclass
class Queue:
    count: int
    rows: list[QueueRow]


def _packages(**filters):
    return (
        Package.objects.filter(**filters)
        .select_related("order", "order__channel", "shipment")
        .prefetch_related(
            Prefetch("items", queryset=PackageItem.objects.select_related("order_item").order_by("id"))
        )
    )


def _where(package: Package) -> str:
    label = PackageStatus(package.status).label.lower()
    if package.status == PackageStatus.PACKED:
        return "packed, on the outgoing pile"
    return f"{label}: the marketplace's carrier has it"


def pull_back_queue() -> Queue:
    """Packed packages whose items Omnitron cancelled (pull the parcel back, then run
    CANCEL_PACKED_PACKAGE), and those the carrier took all the same (shipped after cancellation)."""
    queryset = _packages(cancellation_requested_at__isnull=False).exclude(status=PackageStatus.CANCELLED)
    rows = [
        QueueRow(
            package=package,
            where=_where(package),
            shipped_after_cancellation=package.status in ON_ITS_WAY,
            items=[
                i.order_item.omnitron_id for i in package.items.all() if i.status == PackageStatus.CANCELLED
            ],
        )
        for package in queryset.order_by("cancellation_requested_at", "id")[:LIST_LIMIT]
    ]
    return Queue(count=queryset.count(), rows=rows)


def returns_queue() -> Queue:
    """Shipped or delivered packages with refunded items: parcels coming back to the warehouse."""
    queryset = _packages(refund_requested_at__isnull=False)
    rows = [
        QueueRow(
            package=package,
            where=_where(package),
            shipped_after_cancellation=False,
            items=[
                i.order_item.omnitron_id
                for i in package.items.all()
                if i.order_item.status == OrderStatus.REFUNDED
            ],
        )
        for package in queryset.order_by("refund_requested_at", "id")[:LIST_LIMIT]
    ]
    return Queue(count=queryset.count(), rows=rows)
