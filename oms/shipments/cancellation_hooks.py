"""How resolution lets a higher app react when Omnitron shows a followed shipment's order cancelled
or refunded (50, 100, 600), instead of recording it as an unknown status.

`oms.orders` registers its listener at start-up (`OrdersConfig.ready`); shipments imports nothing
of it.
"""

from collections.abc import Callable
from datetime import datetime

from oms.core.statuses import OrderStatus
from oms.omnitron.types import OmnitronOrder

CANCELLATION_STATUSES = frozenset(
    {OrderStatus.CANCELLATION_WAITING, OrderStatus.CANCELLED, OrderStatus.REFUNDED}
)

# listener(package_id=..., order=<OmnitronOrder>, now=...) -> True when it took the news.
CancellationListener = Callable[..., bool]
_listeners: list[CancellationListener] = []


def cancellation_listener_add(listener: CancellationListener) -> None:
    """Add a listener (adding the same one twice adds it once)."""
    if listener not in _listeners:
        _listeners.append(listener)


def omnitron_order_cancels(order: OmnitronOrder) -> bool:
    """Whether an Omnitron order shows cancelled or refunded items (and someone listens)."""
    if not _listeners:
        return False
    return order.status in CANCELLATION_STATUSES or any(
        item.status in CANCELLATION_STATUSES for item in order.items
    )


def cancellation_seen(*, package_id: int, order: OmnitronOrder, now: datetime) -> bool:
    """Hand the news about a followed shipment's package to the listeners; True when one took it."""
    if not omnitron_order_cancels(order):
        return False
    return any(listener(package_id=package_id, order=order, now=now) for listener in _listeners)
