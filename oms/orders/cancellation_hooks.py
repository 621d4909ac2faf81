"""Where orders plugs its cancellations into lower apps (called from `OrdersConfig.ready`)."""

from datetime import datetime

from oms.core.statuses import OrderStatus
from oms.omnitron.models import OmnitronReport, ReportKind
from oms.omnitron.reports import superseded_check_register
from oms.omnitron.types import OmnitronOrder
from oms.orders.cancellation_models import CancellationSource
from oms.orders.cancellations import CANCELLED_ITEM_STATUSES, order_cancellations_apply
from oms.orders.models import Order, OrderItem
from oms.shipments.cancellation_hooks import cancellation_listener_add


def report_of_cancelled_items(report: OmnitronReport) -> str:
    """A "preparing" report naming an item cancelled since it was written is not sent."""
    if report.kind != ReportKind.ORDER_ITEM_STATUSES or not isinstance(report.payload, dict):
        return ""
    rows = report.payload.get("orderitem_set") or []
    preparing = str(OrderStatus.PREPARING.value)
    ids = [row.get("id") for row in rows if str(row.get("status")) == preparing]
    cancelled = sorted(
        OrderItem.objects.filter(
            omnitron_id__in=[pk for pk in ids if isinstance(pk, int)],
            status__in=[*CANCELLED_ITEM_STATUSES, OrderStatus.REFUNDED],
        ).values_list("omnitron_id", flat=True)
    )
    if not cancelled:
        return ""
    return (
        f"Superseded, not sent: Omnitron cancelled order items {', '.join(map(str, cancelled))}, "
        "which this report would have set to preparing."
    )


def shipment_cancellation_seen(*, package_id: int, order: OmnitronOrder, now: datetime) -> bool:
    """Resolution read a followed shipment's order with cancelled or refunded items."""
    oms_order = Order.objects.filter(packages__id=package_id).first()
    if oms_order is None:
        return False
    order_cancellations_apply(order=oms_order, data=order, source=CancellationSource.RESOLUTION, now=now)
    return True


def cancellation_hooks_register() -> None:
    superseded_check_register(report_of_cancelled_items)
    cancellation_listener_add(shipment_cancellation_seen)
