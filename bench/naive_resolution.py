"""The obvious shipment status resolution, as a yardstick for `oms.shipments.resolution.shipments_resolve`.

For every followed shipment: one `GET /api/v1/orders/{pk}/` to Omnitron, then each row saved on its
own (`Model.save()`, Django's autocommit: one transaction per statement). It writes what the real
one writes (shipment, package, package items, order items, order, an observation and a transition
log entry) and uses the same HTTP client (the product's `OmnitronClient`: same connection reuse,
login and retries), so the difference is the algorithm: one request per shipment instead of one per
500, and row-by-row saves instead of set-wise conditional updates and bulk inserts in chunked
transactions.
"""

from datetime import datetime, timedelta

from oms.core.statuses import OrderStatus, PackageStatus, ShipmentStatus
from oms.shipments.models import ObservationOutcome, Shipment, ShipmentObservation
from oms.shipments.resolution import followed_client_paths
from oms.transitions.models import StateTransitionLog

STATUS_MAP = {
    OrderStatus.SHIPPED: (ShipmentStatus.SHIPPED, PackageStatus.SHIPPED, OrderStatus.SHIPPED),
    OrderStatus.ATTEMPTED_DELIVERY: (
        ShipmentStatus.ATTEMPTED_DELIVERY,
        PackageStatus.ATTEMPTED_DELIVERY,
        OrderStatus.ATTEMPTED_DELIVERY,
    ),
    OrderStatus.DELIVERED: (ShipmentStatus.DELIVERED, PackageStatus.DELIVERED, OrderStatus.DELIVERED),
}


def naive_resolve(*, client, now: datetime) -> dict[str, int]:
    checked = moved = 0
    shipments = (
        Shipment.objects.filter(
            client__in=followed_client_paths(),
            status__in=[ShipmentStatus.CREATED, ShipmentStatus.SHIPPED, ShipmentStatus.ATTEMPTED_DELIVERY],
            stale_at__isnull=True,
        )
        .select_related("package__order")
        .order_by("id")
    )
    for shipment in shipments:
        package = shipment.package
        order = package.order
        omnitron_order = client.order_get(order.omnitron_id)  # GET /api/v1/orders/{pk}/
        checked += 1
        target = STATUS_MAP.get(omnitron_order.status)
        if target is not None and target[0] > shipment.status:
            observation = ShipmentObservation.objects.create(
                shipment=shipment,
                omnitron_status=omnitron_order.status,
                tracking_number=omnitron_order.effective_tracking_number,
                outcome=ObservationOutcome.APPLIED,
                shipment_status_before=shipment.status,
                observed_at=now,
            )
            old_package_status = package.status
            shipment.status = target[0]
            package.status = target[1]
            package.save()
            for item in package.items.all():
                item.status = target[1]
                item.save()
            for item in order.items.all():
                item.status = target[2]
                item.save()
            order.status = target[2]
            order.save()
            StateTransitionLog.objects.create(
                package=package,
                command="SHIPMENT_STATUS_RESOLUTION",
                old_state=old_package_status,
                new_state=target[1],
                attributes={"observation": observation.pk, "omnitron_status": omnitron_order.status},
                created_at=now,
            )
            moved += 1
        shipment.omnitron_status = omnitron_order.status
        shipment.last_checked_at = now
        shipment.next_check_at = now + timedelta(minutes=5)
        shipment.save()
    return {"checked": checked, "moved": moved}
