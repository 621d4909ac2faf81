"""How resolution lets a higher app react when Omnitron shows a followed shipment's order cancelled
or refunded (50, 100, 600), instead of recording it as an unknown status.

`oms.orders` registers its listener at start-up (`OrdersConfig.ready`); shipments imports nothing
of it.
"""

from collections.abc import Callable
from datetime import datetime

from oms.core.statuses import OrderStatus

CANCELLATION_STATUSES = frozenset(
    {OrderStatus.CANCELLATION_WAITING, OrderStatus.CANCELLED, OrderStatus.REFUNDED}
)

# listener(shipment=..., order=<OmnitronOrder>, now=...) -> True when it took the news.
_listeners: list[Callable[..., bool]] = []


def cancellation_listener_add(listener: Callable[..., bool]) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def omnitron_order_cancels(order) -> bool:
    """Whether an Omnitron order shows cancelled or refunded items (and someone listens)."""
    if not _listeners:
        return False
    return order.status in CANCELLATION_STATUSES or any(
        item.status in CANCELLATION_STATUSES for item in order.items
    )


def cancellation_seen(*, shipment, order, now: datetime) -> bool:
    """Hand the news to the listeners; True when one of them took it."""
    if not omnitron_order_cancels(order):
        return False
    return any(listener(shipment=shipment, order=order, now=now) for listener in _listeners)
