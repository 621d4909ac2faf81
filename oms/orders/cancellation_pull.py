"""The reconciliation pull's second half: orders Omnitron cancelled (100) or is cancelling (50)
since the watermark, applied to the orders OMS holds (`oms.orders.cancellations`)."""

import logging
from datetime import datetime

from oms.core.statuses import OrderStatus
from oms.omnitron.errors import OmnitronError
from oms.omnitron.ports import OmnitronPort
from oms.omnitron.types import OmnitronOrder
from oms.orders.cancellation_models import CancellationSource
from oms.orders.cancellations import order_cancellations_apply
from oms.orders.models import Order

logger = logging.getLogger(__name__)

CANCELLED_LISTED = (OrderStatus.CANCELLED, OrderStatus.CANCELLATION_WAITING)


def cancelled_orders_pull(
    *, client: OmnitronPort, since: datetime, until: datetime, now: datetime
) -> tuple[list[int], str]:
    """Apply every order in 100 or 50 modified in [since, until] that OMS holds (one listing per
    status). Returns the Omnitron pks of the orders something was done for, and an error ("" if none)."""
    applied: list[int] = []
    try:
        for status in CANCELLED_LISTED:
            page: list[OmnitronOrder] = []
            for data in client.orders_iter(
                status=status, modified_since=since, modified_until=until, page_size=200
            ):
                page.append(data)
                if len(page) >= 200:
                    applied += _apply(page, now)
                    page = []
            applied += _apply(page, now)
    except OmnitronError as exc:
        logger.warning("Reconciliation could not list cancelled orders: %s", exc)
        return applied, str(exc)
    return applied, ""


def _apply(page: list[OmnitronOrder], now: datetime) -> list[int]:
    held = {order.omnitron_id: order for order in Order.objects.filter(omnitron_id__in=[d.pk for d in page])}
    applied = []
    for data in page:
        order = held.get(data.pk)
        if order is not None and order_cancellations_apply(
            order=order, data=data, source=CancellationSource.RECONCILIATION, now=now
        ):
            applied.append(data.pk)
    return applied
