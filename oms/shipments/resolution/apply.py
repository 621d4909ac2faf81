"""Applying Omnitron's news about claimed shipments: forward only, delivered is final.

A batch is written in chunks, one transaction each. A chunk first locks its shipments and re-reads
their status (`shipments_lock_current`), and decides on that. Routine news (see `is_routine_news`)
is applied set-wise: per target status one conditional UPDATE (`status < new`) of the shipments and
one bulk insert of observations, then the apps above move their own rows through
`oms.shipments.shipment_moves`, then a few UPDATEs schedule the next checks; so a chunk costs a
fixed number of statements whatever its size. Rare news goes one shipment at a time, each in a
savepoint of its own. A status behind the current one, or one that is not a shipment status, is
recorded as an observation and counted, never applied.
"""

import logging
from datetime import datetime
from typing import Any

from django.db import transaction

from oms.omnitron.types import OmnitronOrder
from oms.shipments.cancellation_hooks import cancellation_seen, omnitron_order_cancels
from oms.shipments.models import ObservationOutcome, Shipment, ShipmentObservation, TrackingNumberChange
from oms.shipments.resolution.claim import ClaimedShipment, failure_retry, shipments_lock_current
from oms.shipments.resolution.result import CycleResult
from oms.shipments.resolution.schedule import (
    Checked,
    next_check_fields,
    return_window_schedule,
    shipments_schedule,
)
from oms.shipments.resolution.statuses import NOT_YET_SHIPPED, STATUS_MAP
from oms.shipments.shipment_moves import (
    MovedShipment,
    ShipmentsMoved,
    StatusTarget,
    TrackingNumberChanged,
    shipments_moved_announce,
    tracking_number_changed_announce,
)

logger = logging.getLogger(__name__)

News = tuple[ClaimedShipment, OmnitronOrder]


def is_routine_news(shipment: ClaimedShipment, order: OmnitronOrder) -> bool:
    """Whether Omnitron's news about a shipment is routine, so the set-wise path may apply it.

    Routine news keeps the shipment's tracking number (Omnitron has the same one, or none) and its
    order status either
    - maps to a shipment status at or ahead of the shipment's (a forward move, or nothing new), or
    - is one of an order that has not left yet (400, 450): nothing to record, or
    - is the Omnitron status seen at the last check: recorded then, if it needed recording.
    Everything else is rare and goes through `_apply_one`: a new tracking number (a change to
    record), a status behind the shipment's or one that is not a shipment status, seen for the
    first time (an observation to record). So is an order Omnitron no longer has, and one with
    cancelled or refunded items (`oms.shipments.cancellation_hooks`).
    """
    if omnitron_order_cancels(order):
        return False
    tracking = order.effective_tracking_number
    if tracking and tracking != shipment.tracking_number:
        return False
    if order.status == shipment.omnitron_status or order.status in NOT_YET_SHIPPED:
        return True
    target = STATUS_MAP.get(order.status)
    return target is not None and target.shipment >= shipment.status


def chunk_apply(
    *, shipments: list[ClaimedShipment], orders: dict[int, OmnitronOrder], now: datetime, result: CycleResult
) -> None:
    """Apply the news about a chunk of shipments. Runs in the caller's transaction.

    Locks and re-reads the shipments first; routine news set-wise, the rest one shipment at a time.
    """
    chunk = shipments_lock_current(shipments)
    result.checked += len(chunk)
    routine: list[News] = []
    rare: list[tuple[ClaimedShipment, OmnitronOrder | None]] = []
    for shipment in chunk:
        order = orders.get(shipment.order_omnitron_id)
        if order is not None and is_routine_news(shipment, order):
            routine.append((shipment, order))
        else:
            rare.append((shipment, order))
    if routine:
        routine_result = CycleResult()
        try:
            with transaction.atomic():
                _apply_routine(news=routine, now=now, result=routine_result)
            result.add(routine_result)
        except Exception:  # e.g. a row a constraint refuses: find it, one shipment at a time
            logger.exception("A chunk of %s shipments failed together; applying one by one", len(routine))
            rare = [*routine, *rare]
    for shipment, maybe_order in rare:
        _apply_one(shipment=shipment, order=maybe_order, now=now, result=result)
    # Delivered shipments: opened, kept in or let out of their return window.
    return_window_schedule(shipment_ids=[shipment.pk for shipment in chunk], now=now)


def _apply_routine(*, news: list[News], now: datetime, result: CycleResult) -> None:
    """Routine news, set-wise: forward moves grouped by target status, then the next checks."""
    moving: dict[StatusTarget, list[News]] = {}
    for shipment, order in news:
        target = STATUS_MAP.get(order.status)
        if target is not None and target.shipment > shipment.status:
            moving.setdefault(target, []).append((shipment, order))
    moved_ids: set[int] = set()
    for target, group in sorted(moving.items()):
        _advance(group=group, target=target, now=now, result=result)
        moved_ids.update(shipment.pk for shipment, _ in group)
    checked = [
        Checked(shipment=shipment, omnitron_status=order.status, moved=shipment.pk in moved_ids)
        for shipment, order in news
    ]
    shipments_schedule(checked=checked, now=now, result=result)


def _apply_one(
    *, shipment: ClaimedShipment, order: OmnitronOrder | None, now: datetime, result: CycleResult
) -> None:
    """Any news about one shipment, in a savepoint of its own.

    A row the database refuses sets back only this shipment: it is due again after
    OMS_TRACKING_FAILURE_RETRY_SECONDS, and nothing of it is counted but the error.
    """
    counted = CycleResult()
    try:
        with transaction.atomic():
            fields: dict[str, Any] = {"last_checked_at": now}
            moved = False
            if order is None:
                counted.missing += 1
                if shipment.omnitron_status is not None:
                    _observe(shipment, None, "", ObservationOutcome.MISSING, now)
                fields["omnitron_status"] = None
            else:
                tracking = order.effective_tracking_number
                if tracking and tracking != shipment.tracking_number:
                    _tracking_number_take(shipment=shipment, new=tracking, now=now, result=counted)
                    fields["tracking_number"] = tracking
                    moved = True
                moved = _status_apply(shipment=shipment, order=order, now=now, result=counted) or moved
                fields["omnitron_status"] = order.status
            fields.update(next_check_fields(shipment=shipment, moved=moved, now=now, result=counted))
            # Delivered shipments leave the schedule but for their return window (chunk_apply).
            Shipment.objects.filter(pk=shipment.pk).update(**fields)
    except Exception as exc:  # one bad row must not block the batch
        logger.exception("Shipment %s could not be resolved", shipment.pk)
        result.errors.append(f"shipment {shipment.pk}: {exc}")
        Shipment.objects.filter(pk=shipment.pk).update(next_check_at=now + failure_retry())
        return
    result.add(counted)


def _tracking_number_take(*, shipment: ClaimedShipment, new: str, now: datetime, result: CycleResult) -> None:
    """Record the change, and let the apps above take the new tracking number too."""
    TrackingNumberChange.objects.create(
        shipment_id=shipment.pk,
        old_tracking_number=shipment.tracking_number,
        new_tracking_number=new,
        changed_at=now,
    )
    tracking_number_changed_announce(
        TrackingNumberChanged(
            shipment_id=shipment.pk,
            package_id=shipment.package_id,
            old_tracking_number=shipment.tracking_number,
            new_tracking_number=new,
            now=now,
        )
    )
    result.tracking_changes.append(f"{shipment.tracking_number} -> {new}")


def _status_apply(
    *, shipment: ClaimedShipment, order: OmnitronOrder, now: datetime, result: CycleResult
) -> bool:
    """Move the shipment forward if Omnitron's status is ahead; record a status behind or unknown,
    the first time it is seen. Whether the shipment moved."""
    seen = order.status
    # Cancelled or refunded items (50, 100, 600): an app above takes them (cancellation_hooks).
    cancellation = cancellation_seen(package_id=shipment.package_id, order=order, now=now)
    target = STATUS_MAP.get(seen)
    if target is not None and target.shipment > shipment.status:
        _advance(group=[(shipment, order)], target=target, now=now, result=result)
        return True
    if seen == shipment.omnitron_status:
        return False
    tracking = order.effective_tracking_number
    if target is not None and target.shipment < shipment.status:
        result.backward += 1
        _observe(shipment, seen, tracking, ObservationOutcome.BACKWARD, now)
    elif target is None and not cancellation and seen not in NOT_YET_SHIPPED:
        result.unknown += 1
        _observe(shipment, seen, tracking, ObservationOutcome.UNKNOWN, now)
    return False


def _observe(
    shipment: ClaimedShipment, omnitron_status: int | None, tracking_number: str, outcome: str, now: datetime
) -> None:
    ShipmentObservation.objects.create(
        shipment_id=shipment.pk,
        omnitron_status=omnitron_status,
        tracking_number=tracking_number,
        outcome=outcome,
        shipment_status_before=shipment.status,
        observed_at=now,
    )


def _advance(*, group: list[News], target: StatusTarget, now: datetime, result: CycleResult) -> None:
    """Move shipments forward to `target`, record why, and let the apps above move their rows.

    For shipments this transaction has locked and re-read, all moving to the same target: one
    conditional update (forward only), one bulk insert of observations, one announcement. Used
    set-wise for a chunk's routine news and with one shipment by `_apply_one`.
    """
    shipment_ids = [shipment.pk for shipment, _ in group]
    moved = Shipment.objects.filter(pk__in=shipment_ids, status__lt=target.shipment).update(
        status=target.shipment, modified_at=now
    )
    if moved != len(shipment_ids):  # cannot happen on locked, re-read rows; never log what did not move
        raise RuntimeError(f"{moved} of {len(shipment_ids)} shipments moved to {target.shipment}")
    observations = ShipmentObservation.objects.bulk_create(
        [
            ShipmentObservation(
                shipment_id=shipment.pk,
                omnitron_status=order.status,
                tracking_number=order.effective_tracking_number,
                outcome=ObservationOutcome.APPLIED,
                shipment_status_before=shipment.status,
                observed_at=now,
            )
            for shipment, order in group
        ]
    )
    moved_shipments = []
    for (shipment, order), observation in zip(group, observations, strict=True):
        if observation.pk is None:  # a database without RETURNING
            raise RuntimeError("bulk insert gave no observation ids")
        moved_shipments.append(
            MovedShipment(
                shipment_id=shipment.pk,
                package_id=shipment.package_id,
                observation_id=observation.pk,
                omnitron_status=order.status,
                tracking_number=order.effective_tracking_number,
            )
        )
    shipments_moved_announce(ShipmentsMoved(target=target, shipments=tuple(moved_shipments), now=now))
    for shipment, order in group:
        result.applied.append(f"shipment {shipment.pk}: Omnitron {order.status} -> package {target.package}")
