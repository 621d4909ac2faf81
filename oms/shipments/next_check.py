"""When OMS will next read a shipment's status in Omnitron, as the API and the pages show it."""

from datetime import datetime

from oms.shipments.models import Shipment
from oms.shipments.resolution import followed_client_paths
from oms.shipments.resolution.statuses import FOLLOWED_STATUSES


def shipment_next_check_shown(*, shipment: Shipment) -> datetime | None:
    """The shipment's next check, or None for one OMS no longer follows: delivered (or otherwise out
    of the followed statuses), stale, or made by a client that does not follow Omnitron. Resolution
    may leave a stored time on such a row; it is never used, so it is never shown."""
    if shipment.stale_at is not None or shipment.status not in FOLLOWED_STATUSES:
        return None
    if shipment.client not in followed_client_paths():
        return None
    return shipment.next_check_at
