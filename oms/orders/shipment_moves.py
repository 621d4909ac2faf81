"""Orders follow their shipments: when resolution moves shipments forward, the order items packed
in their packages and the orders move to the target's order status (forward only); when Omnitron
re-issues a shipment's tracking number, its order takes it too.

Registered with `oms.shipments.shipment_moves` from `OrdersConfig.ready()`. A fixed number of
statements per call, whatever the number of shipments.
"""

from oms.core.statuses import order_statuses_before
from oms.orders.models import Order, OrderItem
from oms.shipments.shipment_moves import ShipmentsMoved, TrackingNumberChanged


def orders_follow_shipments(moves: ShipmentsMoved) -> None:
    """Move the order items in the moved shipments' packages, and their orders."""
    package_ids = moves.package_ids
    new_status = moves.target.order_item
    # Forward only, by rank: a cancelled (100), cancellation-waiting (50) or refunded (600) item or
    # order is never moved to shipped or delivered, though their codes are lower.
    behind = order_statuses_before(new_status)
    OrderItem.objects.filter(package_items__package_id__in=package_ids, status__in=behind).update(
        status=new_status, modified_at=moves.now
    )
    Order.objects.filter(packages__pk__in=package_ids, status__in=behind).update(
        status=new_status, modified_at=moves.now
    )


def order_takes_tracking_number(change: TrackingNumberChanged) -> None:
    """The shipment's order gets the tracking number Omnitron re-issued."""
    Order.objects.filter(packages__pk=change.package_id).update(
        tracking_number=change.new_tracking_number, modified_at=change.now
    )
