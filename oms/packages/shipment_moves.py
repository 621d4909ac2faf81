"""Packages follow their shipments: when resolution moves shipments forward, their packages and
package items move to the target's package status (forward only, packed or later), and each
package's transition log gets the move, with the observation behind it. Outbound events
(`oms.events`) are recorded here too: each moved shipment's `shipment.status.updated`, and its
package's status events when the package moved.

Registered with `oms.shipments.shipment_moves` from `PackagesConfig.ready()`. A fixed number of
statements per call, whatever the number of shipments.
"""

from functools import partial

from oms.core.statuses import PackageStatus
from oms.events.services import events_batch, package_events_record
from oms.packages.events import package_representations
from oms.packages.models import Package, PackageItem
from oms.shipments.events import shipment_representations
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
    # Events show the moved packages and shipments as the API does, each kind read once for the
    # whole group, and only if some subscription wants them.
    shown: dict[str, dict[int, dict]] = {}

    def package_shown(package_id: int) -> dict:
        if "packages" not in shown:
            shown["packages"] = package_representations(package_ids)
        return shown["packages"][package_id]

    def shipment_shown(shipment_id: int) -> dict:
        if "shipments" not in shown:
            shown["shipments"] = shipment_representations([moved.shipment_id for moved in moves.shipments])
        return shown["shipments"][shipment_id]

    with events_batch(now=moves.now):
        for moved in moves.shipments:
            package_events_record(
                package_id=moved.package_id,
                new_status=new_status,
                now=moves.now,
                package_moved=PackageStatus.PACKED <= old_status[moved.package_id] < new_status,
                shipment_data=partial(shipment_shown, moved.shipment_id),
                package_data=partial(package_shown, moved.package_id),
            )
