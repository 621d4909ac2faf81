"""What shipment status resolution tells the apps above it, so they move their own rows.

Resolution (`oms.shipments.resolution`) owns shipments, their observations, tracking number
changes, the check schedule and the circuit breaker. A shipment's package, package items, order
items and order belong to apps above `oms.shipments`, which it must not import. So resolution
announces what it did here, and those apps apply it to their rows: each registers its listeners
from its `AppConfig.ready()`.

Listeners run inside resolution's transaction, right after the shipments moved. They are called
once per group of shipments moving to the same statuses (set-wise: a chunk's usual news is one
call per target status), so they should write with a fixed number of statements per call. An
exception in a listener rolls the whole group back, shipments included: the books stay consistent.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from oms.core.statuses import OrderStatus, PackageStatus, ShipmentStatus


class StatusTarget(NamedTuple):
    """Where one Omnitron order status takes a followed shipment, its package and its order items."""

    shipment: ShipmentStatus
    package: PackageStatus
    order_item: OrderStatus


@dataclass(frozen=True)
class MovedShipment:
    """One shipment that moved forward, and the Omnitron news that moved it."""

    shipment_id: int
    package_id: int
    observation_id: int  # the `ShipmentObservation` (outcome "applied") recording the news
    omnitron_status: int
    tracking_number: str


@dataclass(frozen=True)
class ShipmentsMoved:
    """Shipments this transaction has just moved forward, all to the same `target`."""

    target: StatusTarget
    shipments: tuple[MovedShipment, ...]
    now: datetime

    @property
    def package_ids(self) -> list[int]:
        return [moved.package_id for moved in self.shipments]


@dataclass(frozen=True)
class TrackingNumberChanged:
    """Omnitron gave a shipment a new tracking number, which resolution has taken."""

    shipment_id: int
    package_id: int
    old_tracking_number: str
    new_tracking_number: str
    now: datetime


MovesListener = Callable[[ShipmentsMoved], None]
TrackingNumberListener = Callable[[TrackingNumberChanged], None]

# Listeners run by rank, lowest first, so that rows are written (and locked) in the order package
# commands write them: packages and package items, then order items and orders. Two transactions
# taking the same rows in opposite orders could deadlock each other on PostgreSQL.
PACKAGES_RANK = 10
ORDERS_RANK = 20

_moves_listeners: list[tuple[int, MovesListener]] = []
_tracking_number_listeners: list[TrackingNumberListener] = []


def register(listener: MovesListener, *, rank: int) -> None:
    """Have `listener` called with every group of shipments resolution moves forward (once each),
    after the listeners of a lower `rank`."""
    if all(registered is not listener for _, registered in _moves_listeners):
        _moves_listeners.append((rank, listener))
        _moves_listeners.sort(key=lambda ranked: ranked[0])


def register_tracking_number_listener(listener: TrackingNumberListener) -> None:
    """Have `listener` called with every tracking number change resolution takes (once each)."""
    if listener not in _tracking_number_listeners:
        _tracking_number_listeners.append(listener)


def moves_listeners() -> tuple[MovesListener, ...]:
    """The registered listeners, in the order they run."""
    return tuple(listener for _, listener in _moves_listeners)


def tracking_number_listeners() -> tuple[TrackingNumberListener, ...]:
    return tuple(_tracking_number_listeners)


def shipments_moved_announce(moves: ShipmentsMoved) -> None:
    """Let every registered app move its own rows along with these shipments (same transaction)."""
    for _, listener in _moves_listeners:
        listener(moves)


def tracking_number_changed_announce(change: TrackingNumberChanged) -> None:
    """Let every registered app take the new tracking number too (same transaction)."""
    for listener in _tracking_number_listeners:
        listener(change)
