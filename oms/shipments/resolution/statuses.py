"""Which Omnitron order statuses move a followed shipment, and where to.

The marketplace's carrier moves the parcel and Omnitron learns of it; OMS reads the order status:
Omnitron 500 -> shipped, 540 -> attempted delivery, 550 -> delivered. Anything else moves nothing.
"""

from oms.configuration.keys import AUTO_RUN_SHIP_THE_PACKAGE_COMMAND
from oms.core.statuses import OrderStatus, PackageStatus, ShipmentStatus
from oms.shipments.shipment_moves import StatusTarget

# The setting that turns resolution on (with the seed's automatic packaging).
SETTING_KEY = AUTO_RUN_SHIP_THE_PACKAGE_COMMAND
# The command name resolution's moves carry in the packages' transition log.
RESOLUTION_COMMAND = "SHIPMENT_STATUS_RESOLUTION"

# Omnitron order status -> where it takes the shipment, its package and its order items.
STATUS_MAP: dict[int, StatusTarget] = {
    OrderStatus.SHIPPED: StatusTarget(
        shipment=ShipmentStatus.SHIPPED, package=PackageStatus.SHIPPED, order_item=OrderStatus.SHIPPED
    ),
    OrderStatus.ATTEMPTED_DELIVERY: StatusTarget(
        shipment=ShipmentStatus.ATTEMPTED_DELIVERY,
        package=PackageStatus.ATTEMPTED_DELIVERY,
        order_item=OrderStatus.ATTEMPTED_DELIVERY,
    ),
    OrderStatus.DELIVERED: StatusTarget(
        shipment=ShipmentStatus.DELIVERED, package=PackageStatus.DELIVERED, order_item=OrderStatus.DELIVERED
    ),
}
# Omnitron statuses of an order that simply has not left yet: nothing to record.
NOT_YET_SHIPPED: frozenset[int] = frozenset({OrderStatus.APPROVED, OrderStatus.PREPARING})
# Shipment statuses resolution still follows (delivered is final).
FOLLOWED_STATUSES: tuple[ShipmentStatus, ...] = (
    ShipmentStatus.CREATED,
    ShipmentStatus.SHIPPED,
    ShipmentStatus.ATTEMPTED_DELIVERY,
)
