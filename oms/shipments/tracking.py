"""Shipment status resolution: follow marketplace shipments by reading their orders in Omnitron.

The marketplace's carrier moves the parcel and Omnitron learns of it; OMS reads the order status
and moves shipment, package, package items and order items forward: Omnitron 500 -> shipped,
540 -> attempted_delivery, 550 -> delivered. Anything else changes nothing. Nothing is written
back to Omnitron.

How a cycle works:
- Due shipments are claimed in bounded batches (`FOR UPDATE SKIP LOCKED` on PostgreSQL); the claim
  moves their `next_check_at` past a lease (OMS_TRACKING_CLAIM_LEASE_SECONDS) in the same
  transaction, so concurrent workers never take the same rows and a worker that dies leaves them
  due again after the lease.
- Each batch reads its orders with one `id__in` request (up to 500 ids).
- The batch is written in chunks of WRITE_CHUNK shipments, one transaction each. A chunk first
  locks its shipments and re-reads their status, and decides on that. The usual news (forward
  moves, nothing new) is applied set-wise: per target status a few conditional UPDATEs
  (`status < new`) and bulk inserts of observations and transition logs, so a chunk costs a fixed
  number of statements whatever its size. The rare news (a new tracking number, a missing order,
  a status behind the current one or not a shipment status) is applied one shipment at a time.
  Either way no status moves backwards and delivered is final; a status behind the current one,
  or one that is not a shipment status, is recorded as an observation and counted, never applied.
- After a check the next one is due sooner when something moved, later while nothing changes
  (doubling from the minimum to the maximum interval, with jitter). A shipment not delivered
  after OMS_TRACKING_STALE_AFTER_DAYS is marked stale and no longer polled.
- A failed batch changes nothing and is retried later (OMS_TRACKING_FAILURE_RETRY_SECONDS);
  OMS_TRACKING_BREAKER_THRESHOLD failures in a row open a circuit breaker that pauses resolution
  (OMS_TRACKING_BREAKER_COOL_DOWN_SECONDS, doubling up to OMS_TRACKING_BREAKER_COOL_DOWN_MAX_SECONDS)
  until a probe succeeds.
"""

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import F, Q

from oms.configuration.services import application_setting_get
from oms.core.db import lock_rows
from oms.core.statuses import OrderStatus, PackageStatus, ShipmentStatus
from oms.omnitron.errors import OmnitronError
from oms.omnitron.types import OmnitronOrder
from oms.orders.models import Order, OrderItem
from oms.packages.models import Package, PackageItem
from oms.shipments.cancellation_hooks import cancellation_seen, omnitron_order_cancels
from oms.shipments.models import (
    ObservationOutcome,
    ResolutionHealth,
    Shipment,
    ShipmentObservation,
    TrackingNumberChange,
)
from oms.shipments.registry import SHIPMENT_CLIENTS
from oms.shipments.return_window import in_return_window, return_window_schedule
from oms.transitions.models import StateTransitionLog

logger = logging.getLogger(__name__)

SETTING_KEY = "AUTO_RUN_SHIP_THE_PACKAGE_COMMAND"
RESOLUTION_COMMAND = "SHIPMENT_STATUS_RESOLUTION"

# Omnitron order status -> (shipment status, package status, order item status).
STATUS_MAP: dict[int, tuple[int, int, int]] = {
    OrderStatus.SHIPPED: (ShipmentStatus.SHIPPED, PackageStatus.SHIPPED, OrderStatus.SHIPPED),
    OrderStatus.ATTEMPTED_DELIVERY: (
        ShipmentStatus.ATTEMPTED_DELIVERY,
        PackageStatus.ATTEMPTED_DELIVERY,
        OrderStatus.ATTEMPTED_DELIVERY,
    ),
    OrderStatus.DELIVERED: (ShipmentStatus.DELIVERED, PackageStatus.DELIVERED, OrderStatus.DELIVERED),
}
# Omnitron statuses of an order that simply has not left yet: nothing to record.
NOT_YET_SHIPPED = {OrderStatus.APPROVED, OrderStatus.PREPARING}
FOLLOWED_STATUSES = [ShipmentStatus.CREATED, ShipmentStatus.SHIPPED, ShipmentStatus.ATTEMPTED_DELIVERY]

WRITE_CHUNK = 100
# Shipments checked together are scheduled in this many groups, each with its own jitter.
JITTER_BUCKETS = 4


def claim_lease() -> timedelta:
    """How long claimed shipments stay hidden from other runs (a dead worker's rows wait this long)."""
    return timedelta(seconds=settings.OMS_TRACKING_CLAIM_LEASE_SECONDS)


def failure_retry() -> timedelta:
    """When a shipment whose check failed is due again (before jitter)."""
    return timedelta(seconds=settings.OMS_TRACKING_FAILURE_RETRY_SECONDS)


def breaker_cool_down(failures: int) -> timedelta:
    """How long the breaker stays open after `failures` failed batches in a row (at the threshold or more)."""
    excess = max(failures - settings.OMS_TRACKING_BREAKER_THRESHOLD, 0)
    seconds = min(
        settings.OMS_TRACKING_BREAKER_COOL_DOWN_SECONDS * 2 ** min(excess, 20),
        settings.OMS_TRACKING_BREAKER_COOL_DOWN_MAX_SECONDS,
    )
    return timedelta(seconds=seconds)


def followed_client_paths() -> list[str]:
    return [path for path, cls in SHIPMENT_CLIENTS.items() if cls.follows_omnitron_status]


def followed_shipments():
    """Shipments OMS follows in Omnitron: made by a following client, not delivered, not stale."""
    return Shipment.objects.filter(
        # Cancellations and refunds: delivered shipments in their return window are followed too.
        Q(status__in=FOLLOWED_STATUSES) | in_return_window(),
        client__in=followed_client_paths(),
        stale_at__isnull=True,
    )


@dataclass
class CycleResult:
    skipped: str = ""
    checked: int = 0
    applied: list[str] = field(default_factory=list)
    backward: int = 0
    unknown: int = 0
    missing: int = 0
    tracking_changes: list[str] = field(default_factory=list)
    stale: int = 0
    errors: list[str] = field(default_factory=list)
    batches: int = 0
    failed_batches: int = 0

    def add(self, other: "CycleResult") -> None:
        """Count what `other` (one chunk's work, committed) counted."""
        self.checked += other.checked
        self.applied += other.applied
        self.backward += other.backward
        self.unknown += other.unknown
        self.missing += other.missing
        self.tracking_changes += other.tracking_changes
        self.stale += other.stale
        self.errors += other.errors

    def summary(self) -> dict:
        return {
            "skipped": self.skipped,
            "checked": self.checked,
            "applied": len(self.applied),
            "backward": self.backward,
            "unknown": self.unknown,
            "missing": self.missing,
            "tracking_changes": len(self.tracking_changes),
            "stale": self.stale,
            "errors": len(self.errors),
            "batches": self.batches,
            "failed_batches": self.failed_batches,
        }


def next_check_delay(unchanged_checks: int) -> timedelta:
    """Sooner after movement, doubling while nothing changes, within the configured bounds; ±10%."""
    low = settings.OMS_TRACKING_MIN_INTERVAL_SECONDS
    high = max(low, settings.OMS_TRACKING_MAX_INTERVAL_SECONDS)
    seconds = min(high, low * 2 ** min(unchanged_checks, 20))
    return timedelta(seconds=seconds * random.uniform(0.9, 1.1))


def resolution_health_get(*, now: datetime) -> ResolutionHealth:
    """The health row, with the live counts and the setting the dashboard and API show."""
    health = ResolutionHealth.objects.filter(pk=1).first() or ResolutionHealth(pk=1)
    followed = followed_shipments()
    health.followed = followed.count()
    health.due = followed.filter(Q(next_check_at__lte=now) | Q(next_check_at__isnull=True)).count()
    health.stale = Shipment.objects.filter(
        stale_at__isnull=False, status__lt=ShipmentStatus.DELIVERED
    ).count()
    health.enabled = application_setting_get(SETTING_KEY) is True
    return health


def _health() -> ResolutionHealth:
    health, _ = ResolutionHealth.objects.get_or_create(pk=1)
    return health


def _claim(*, now: datetime, limit: int, due_only: bool, after_id: int) -> list[Shipment]:
    with transaction.atomic():
        candidates = followed_shipments().filter(id__gt=after_id)
        if due_only:
            candidates = candidates.filter(Q(next_check_at__lte=now) | Q(next_check_at__isnull=True))
        claimed = list(
            lock_rows(candidates.order_by("id"), skip_locked=True)
            .select_related("package__order")
            .only(
                "id",
                "status",
                "tracking_number",
                "unchanged_checks",
                "omnitron_status",
                "created_at",
                "package_id",
                "package__status",
                "package__order_id",
                "package__order__omnitron_id",
            )[:limit]
        )
        if claimed:
            Shipment.objects.filter(pk__in=[s.pk for s in claimed]).update(next_check_at=now + claim_lease())
    return claimed


def _release_failed(shipments: list[Shipment], now: datetime) -> None:
    Shipment.objects.filter(pk__in=[s.pk for s in shipments]).update(
        next_check_at=now + failure_retry() * random.uniform(1.0, 1.5)
    )


def _apply_one(
    *, shipment: Shipment, order: OmnitronOrder | None, now: datetime, result: CycleResult
) -> None:
    """Apply what Omnitron says about one shipment's order. Runs inside the caller's transaction."""
    before = shipment.status
    updates: dict = {"last_checked_at": now}
    moved = False

    if order is None:
        result.missing += 1
        if shipment.omnitron_status is not None:
            ShipmentObservation.objects.create(
                shipment_id=shipment.pk,
                omnitron_status=None,
                outcome=ObservationOutcome.MISSING,
                shipment_status_before=before,
                observed_at=now,
            )
        updates["omnitron_status"] = None
    else:
        seen_status = order.status
        tracking = order.effective_tracking_number
        if tracking and tracking != shipment.tracking_number:
            TrackingNumberChange.objects.create(
                shipment_id=shipment.pk,
                old_tracking_number=shipment.tracking_number,
                new_tracking_number=tracking,
                changed_at=now,
            )
            Order.objects.filter(pk=shipment.package.order_id).update(
                tracking_number=tracking, modified_at=now
            )
            updates["tracking_number"] = tracking
            result.tracking_changes.append(f"{shipment.tracking_number} -> {tracking}")
            moved = True

        # Cancellations and refunds (50, 100, 600): a higher app takes them (cancellation_hooks).
        cancellation = cancellation_seen(shipment=shipment, order=order, now=now)
        target = STATUS_MAP.get(seen_status)
        if target is not None and target[0] > before:
            _advance_group(group=[(shipment, order)], target=target, now=now, result=result)
            moved = True
        elif target is not None and target[0] < before and seen_status != shipment.omnitron_status:
            result.backward += 1
            ShipmentObservation.objects.create(
                shipment_id=shipment.pk,
                omnitron_status=seen_status,
                tracking_number=tracking,
                outcome=ObservationOutcome.BACKWARD,
                shipment_status_before=before,
                observed_at=now,
            )
        elif (
            target is None
            and not cancellation
            and seen_status not in NOT_YET_SHIPPED
            and seen_status != shipment.omnitron_status
        ):
            result.unknown += 1
            ShipmentObservation.objects.create(
                shipment_id=shipment.pk,
                omnitron_status=seen_status,
                tracking_number=tracking,
                outcome=ObservationOutcome.UNKNOWN,
                shipment_status_before=before,
                observed_at=now,
            )
        updates["omnitron_status"] = seen_status

    updates.update(_schedule(shipment=shipment, moved=moved, now=now, result=result))
    # Delivered shipments leave the schedule (status filter excludes them).
    Shipment.objects.filter(pk=shipment.pk).update(**updates)


def _goes_stale(*, shipment: Shipment, moved: bool, now: datetime) -> bool:
    """Not delivered OMS_TRACKING_STALE_AFTER_DAYS after it was created, and nothing moved now."""
    return not moved and now - shipment.created_at > timedelta(days=settings.OMS_TRACKING_STALE_AFTER_DAYS)


def _schedule(*, shipment: Shipment, moved: bool, now: datetime, result: CycleResult) -> dict:
    """When the shipment is looked at next (or that it is stale), after this check."""
    unchanged = 0 if moved else shipment.unchanged_checks + 1
    if _goes_stale(shipment=shipment, moved=moved, now=now):
        result.stale += 1
        return {"unchanged_checks": unchanged, "stale_at": now, "next_check_at": None}
    return {
        "unchanged_checks": unchanged,
        "stale_at": None,
        "next_check_at": now + next_check_delay(unchanged),
    }


def _process_batch(*, shipments: list[Shipment], client, now: datetime, result: CycleResult) -> None:
    ids = sorted({s.package.order.omnitron_id for s in shipments})
    orders = {order.pk: order for order in client.orders_get_many(ids)}
    for start in range(0, len(shipments), WRITE_CHUNK):
        part = shipments[start : start + WRITE_CHUNK]
        # Counted apart and added only once committed.
        chunk_result = CycleResult()
        try:
            with transaction.atomic():
                _apply_chunk(shipments=part, orders=orders, now=now, result=chunk_result)
        except DatabaseError as exc:  # a lock wait given up, a deadlock: these shipments wait a little
            logger.exception("Shipments %s..%s could not be written", part[0].pk, part[-1].pk)
            result.errors.append(f"shipments {part[0].pk}..{part[-1].pk}: {exc}")
            _release_failed(part, now)
            continue
        result.add(chunk_result)


def _apply_chunk(
    *, shipments: list[Shipment], orders: dict[int, OmnitronOrder], now: datetime, result: CycleResult
) -> None:
    """One transaction: lock and re-read the shipments, the usual news set-wise, the rest one by one."""
    chunk = _lock_current(shipments)
    result.checked += len(chunk)
    common, singles = [], []
    for shipment in chunk:
        order = orders.get(shipment.package.order.omnitron_id)
        (common if _is_common(shipment, order) else singles).append((shipment, order))
    if common:
        common_result = CycleResult()
        try:
            with transaction.atomic():
                _apply_common(pairs=common, now=now, result=common_result)
            result.add(common_result)
        except Exception:  # e.g. a row a constraint refuses: find it, one shipment at a time
            logger.exception("A chunk of %s shipments failed together; applying one by one", len(common))
            singles = common + singles
    for shipment, order in singles:
        _apply_single(shipment=shipment, order=order, now=now, result=result)
    return_window_schedule(shipment_ids=[shipment.pk for shipment in chunk], now=now)  # refunds


def _apply_single(
    *, shipment: Shipment, order: OmnitronOrder | None, now: datetime, result: CycleResult
) -> None:
    try:
        with transaction.atomic():
            _apply_one(shipment=shipment, order=order, now=now, result=result)
    except Exception as exc:  # one bad row must not block the batch
        logger.exception("Shipment %s could not be resolved", shipment.pk)
        result.errors.append(f"shipment {shipment.pk}: {exc}")
        Shipment.objects.filter(pk=shipment.pk).update(next_check_at=now + failure_retry())


def _lock_current(shipments: list[Shipment]) -> list[Shipment]:
    """Lock the chunk's shipments for this transaction and refresh what decisions depend on.

    What was read at claim time may be behind (another run, a manual `oms
    resolve_shipment_statuses`); decisions below are made on the locked, current one. On SQLite the
    transaction already holds the database (BEGIN IMMEDIATE). Shipments gone meanwhile are dropped.
    """
    fields = ("status", "omnitron_status", "tracking_number", "unchanged_checks")
    current = {
        row[0]: row[1:]
        for row in lock_rows(
            Shipment.objects.filter(pk__in=[s.pk for s in shipments]).order_by("pk")
        ).values_list("pk", *fields)
    }
    kept = []
    for shipment in shipments:
        if shipment.pk in current:
            for name, value in zip(fields, current[shipment.pk], strict=True):
                setattr(shipment, name, value)
            kept.append(shipment)
    return kept


def _is_common(shipment: Shipment, order: OmnitronOrder | None) -> bool:
    """The usual case, applied set-wise: Omnitron has the order with the same tracking number, and
    its status either moves the shipment forward or is one there is nothing to record about.
    Everything else (a missing order, a new tracking number, a backward or unknown status) is rare
    and goes through `_apply_one`, one shipment at a time."""
    if order is None or omnitron_order_cancels(order):  # cancellations go one by one (cancellation_hooks)
        return False
    tracking = order.effective_tracking_number
    if tracking and tracking != shipment.tracking_number:
        return False
    target = STATUS_MAP.get(order.status)
    if target is None:
        return order.status in NOT_YET_SHIPPED or order.status == shipment.omnitron_status
    return target[0] >= shipment.status or order.status == shipment.omnitron_status


def _apply_common(*, pairs: list[tuple[Shipment, OmnitronOrder]], now: datetime, result: CycleResult) -> None:
    """`_apply_one` for the common case, with a fixed number of statements per chunk.

    Forward moves are grouped by target status; each group is a handful of conditional updates
    (forward only) and two bulk inserts (observations, transition logs). Then a
    few updates schedule every shipment's next check.
    """
    moving: dict[tuple[int, int, int], list[tuple[Shipment, OmnitronOrder]]] = {}
    for shipment, order in pairs:
        target = STATUS_MAP.get(order.status)
        if target is not None and target[0] > shipment.status:
            moving.setdefault(target, []).append((shipment, order))
    moved_ids: set[int] = set()
    for target, group in sorted(moving.items()):
        _advance_group(group=group, target=target, now=now, result=result)
        moved_ids.update(shipment.pk for shipment, _ in group)

    # Next checks, in a few statements: shipments alike (same Omnitron status, same count of
    # unchanged checks, stale or not) are updated together, split at random into JITTER_BUCKETS
    # groups, each with its own jittered delay, so their next checks still spread out.
    alike: dict[tuple[int, int, bool], list[int]] = {}
    for shipment, order in pairs:
        moved = shipment.pk in moved_ids
        unchanged = 0 if moved else shipment.unchanged_checks + 1
        stale = _goes_stale(shipment=shipment, moved=moved, now=now)
        alike.setdefault((order.status, unchanged, stale), []).append(shipment.pk)
    for (omnitron_status, unchanged, stale), ids in alike.items():
        fields = {"last_checked_at": now, "omnitron_status": omnitron_status, "unchanged_checks": unchanged}
        if stale:
            result.stale += len(ids)
            Shipment.objects.filter(pk__in=ids).update(**fields, stale_at=now, next_check_at=None)
            continue
        random.shuffle(ids)
        for bucket in range(min(JITTER_BUCKETS, len(ids))):
            Shipment.objects.filter(pk__in=ids[bucket::JITTER_BUCKETS]).update(
                **fields, stale_at=None, next_check_at=now + next_check_delay(unchanged)
            )


def _advance_group(
    *,
    group: list[tuple[Shipment, OmnitronOrder]],
    target: tuple[int, int, int],
    now: datetime,
    result: CycleResult,
) -> None:
    """Move shipments, their packages, package items, order items and orders forward to `target`.

    For shipments this transaction has locked and re-read (`_lock_current`), all moving to the same
    target: each table in one conditional update (forward only), observations and transition logs
    in bulk inserts. Used set-wise for a chunk's usual news and with one shipment by `_apply_one`.
    """
    shipment_status, package_status, item_status = target
    shipment_ids = [shipment.pk for shipment, _ in group]
    package_ids = [shipment.package_id for shipment, _ in group]
    order_ids = {shipment.package.order_id for shipment, _ in group}
    old_package_status = dict(Package.objects.filter(pk__in=package_ids).values_list("pk", "status"))

    moved = Shipment.objects.filter(pk__in=shipment_ids, status__lt=shipment_status).update(
        status=shipment_status, modified_at=now
    )
    if moved != len(shipment_ids):  # cannot happen on locked, re-read rows; never log what did not move
        raise RuntimeError(f"{moved} of {len(shipment_ids)} shipments moved to {shipment_status}")
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
    if any(observation.pk is None for observation in observations):  # a database without RETURNING
        raise RuntimeError("bulk insert gave no observation ids")
    Package.objects.filter(
        pk__in=package_ids, status__gte=PackageStatus.PACKED, status__lt=package_status
    ).update(status=package_status, modified_at=now)
    PackageItem.objects.filter(
        package_id__in=package_ids, status__gte=PackageStatus.PACKED, status__lt=package_status
    ).update(status=package_status, modified_at=now)
    OrderItem.objects.filter(package_items__package_id__in=package_ids, status__lt=item_status).update(
        status=item_status, modified_at=now
    )
    Order.objects.filter(pk__in=order_ids, status__lt=item_status).update(status=item_status, modified_at=now)
    StateTransitionLog.objects.bulk_create(
        [
            StateTransitionLog(
                package_id=shipment.package_id,
                command=RESOLUTION_COMMAND,
                old_state=old_package_status.get(shipment.package_id, shipment.package.status),
                new_state=package_status,
                attributes={
                    "observation": observation.pk,
                    "omnitron_status": order.status,
                    "tracking_number": order.effective_tracking_number,
                },
                created_at=now,
            )
            for (shipment, order), observation in zip(group, observations, strict=True)
        ]
    )
    for shipment, order in group:
        result.applied.append(f"shipment {shipment.pk}: Omnitron {order.status} -> package {package_status}")


def shipments_resolve(
    *,
    client_factory: Callable,
    now_fn: Callable[[], datetime],
    due_only: bool = True,
    batch_size: int | None = None,
) -> CycleResult:
    """One resolution cycle. `due_only=False` takes every followed shipment, whatever its schedule."""
    result = CycleResult()
    if application_setting_get(SETTING_KEY) is not True:
        result.skipped = (
            f"{SETTING_KEY} is false: shipment statuses are not resolved. Set it to true "
            "(PATCH /api/v1/oms/settings/application_settings/{id}/ or `oms setup_marketplace`)."
        )
        logger.info("Shipment status resolution skipped: %s", result.skipped)
        return result

    start = now_fn()
    health = _health()
    probing = False
    if health.breaker == ResolutionHealth.BREAKER_OPEN:
        if health.open_until and start < health.open_until:
            result.skipped = (
                f"circuit breaker open after {health.consecutive_failures} failed batches "
                f"(last error: {health.last_error}); next probe after {health.open_until:%H:%M:%S} UTC"
            )
            logger.warning("Shipment status resolution paused: %s", result.skipped)
            _record_cycle(result, start)
            return result
        probing = True

    size = min(batch_size or settings.OMS_TRACKING_BATCH_SIZE, 500)
    client = None
    after_id = 0
    try:
        while True:
            now = now_fn()
            shipments = _claim(now=now, limit=1 if probing else size, due_only=due_only, after_id=after_id)
            if not shipments:
                break
            after_id = shipments[-1].pk
            result.batches += 1
            try:
                if client is None:
                    client = client_factory()
                _process_batch(shipments=shipments, client=client, now=now, result=result)
            except OmnitronError as exc:
                result.failed_batches += 1
                _release_failed(shipments, now)
                _record_failure(str(exc), now)
                logger.warning("Shipment status batch failed, nothing changed: %s", exc)
                break
            _record_success(now)
            probing = False
    finally:
        if client is not None:
            client.close()
    _record_cycle(result, now_fn())
    return result


def _record_failure(error: str, now: datetime) -> None:
    health = _health()
    failures = health.consecutive_failures + 1
    fields = {"consecutive_failures": failures, "last_error": error[:2000], "last_error_at": now}
    if failures >= settings.OMS_TRACKING_BREAKER_THRESHOLD:
        cool_down = breaker_cool_down(failures)
        fields.update(breaker=ResolutionHealth.BREAKER_OPEN, open_until=now + cool_down)
        logger.error("Shipment status resolution circuit breaker open until %s: %s", now + cool_down, error)
    ResolutionHealth.objects.filter(pk=1).update(**fields)


def _record_success(now: datetime) -> None:
    ResolutionHealth.objects.filter(pk=1).exclude(
        breaker=ResolutionHealth.BREAKER_CLOSED, consecutive_failures=0, last_success_at__gte=now
    ).update(
        breaker=ResolutionHealth.BREAKER_CLOSED, consecutive_failures=0, open_until=None, last_success_at=now
    )


def _record_cycle(result: CycleResult, now: datetime) -> None:
    ResolutionHealth.objects.filter(pk=1).update(
        last_cycle_at=now,
        last_cycle_summary=result.summary(),
        backward_seen=F("backward_seen") + result.backward,
        unknown_seen=F("unknown_seen") + result.unknown,
    )
