"""Packages follow their shipments: when resolution moves shipments forward, their packages and
package items move to the target's package status (forward only, packed or later), and each
package's transition log gets the move, with the observation behind it.

Registered with `oms.shipments.shipment_moves` from `PackagesConfig.ready()`. A fixed number of
statements per call, whatever the number of shipments.
"""

from oms.core.statuses import PackageStatus
from oms.packages.models import Package, PackageItem
from oms.shipments.resolution import RESOLUTION_COMMAND
from oms.shipments.shipment_moves import ShipmentsMoved
from oms.transitions.models import StateTransitionLog


def packages_follow_shipments(moves: ShipmentsMoved) -> None:
    """Move the moved shipments' packages and package items, and log each package's move."""
    package_ids = moves.package_ids
    new_status = moves.target.package
    old_status = dict(Package.objects.filter(pk__in=package_ids).values_list("pk", "status"))
    Package.objects.filter(
        pk__in=package_ids, status__gte=PackageStatus.PACKED, status__lt=new_status
    ).update(status=new_status, modified_at=moves.now)
    PackageItem.objects.filter(
        package_id__in=package_ids, status__gte=PackageStatus.PACKED, status__lt=new_status
    ).update(status=new_status, modified_at=moves.now)
    StateTransitionLog.objects.bulk_create(
        [
            StateTransitionLog(
                package_id=moved.package_id,
                command=RESOLUTION_COMMAND,
                old_state=old_status[moved.package_id],
                new_state=new_status,
                attributes={
                    "observation": moved.observation_id,
                    "omnitron_status": moved.omnitron_status,
                    "tracking_number": moved.tracking_number,
                },
                created_at=moves.now,
            )
            for moved in moves.shipments
        ]
    )
