"""Shipment status resolution: follow marketplace shipments by reading their orders in Omnitron.

The marketplace's carrier moves the parcel and Omnitron learns of it; OMS reads the order status
and moves the shipment forward (Omnitron 500 -> shipped, 540 -> attempted delivery, 550 ->
delivered); the apps above move the package, its items and the order items along with it, through
`oms.shipments.shipment_moves`. Nothing is written back to Omnitron.

The modules, in the order a cycle uses them:
- `statuses`: which Omnitron statuses move a shipment, and where to (`STATUS_MAP`).
- `claim`: claiming due shipments under a lease, and locking them again before writing.
- `apply`: applying Omnitron's news, forward only; routine news set-wise, rare news one by one.
- `schedule`: when a shipment is checked next, or that it went stale.
- `health`: the circuit breaker and the health the dashboard and the API show.
- `cycle`: `shipments_resolve`, one cycle tying them together.
"""

from oms.shipments.resolution.claim import followed_client_paths, followed_shipments
from oms.shipments.resolution.cycle import OmnitronOrdersReader, shipments_resolve
from oms.shipments.resolution.health import ResolutionHealthReport, resolution_health_get
from oms.shipments.resolution.result import CycleResult
from oms.shipments.resolution.statuses import RESOLUTION_COMMAND, SETTING_KEY, STATUS_MAP
from oms.shipments.shipment_moves import StatusTarget

__all__ = [
    "RESOLUTION_COMMAND",
    "SETTING_KEY",
    "STATUS_MAP",
    "CycleResult",
    "OmnitronOrdersReader",
    "ResolutionHealthReport",
    "StatusTarget",
    "followed_client_paths",
    "followed_shipments",
    "resolution_health_get",
    "shipments_resolve",
]
