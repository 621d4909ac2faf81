"""Marketplace cancellations and refunds: one service for every way Omnitron says it.

A cancellation plan (`POST /api/v1/oms/cancellation_plan/`), an order pushed again with cancelled
items, the reconciliation pull listing cancelled orders, and shipment status resolution reading
100 or 600 all end in `order_items_cancel`. What happens to each package holding the items:

- before packing: the items leave the package (to a new package, cancelled with them); a package
  left with nothing is cancelled itself (CANCEL_PACKAGE);
- packed: the package is marked *cancellation requested* (the parcel is to be pulled back and
  cancelled with CANCEL_PACKED_PACKAGE); a "preparing" report not sent yet drops the items;
- shipped or attempted delivery: the same mark, shown as *shipped after cancellation*;
- a refund of a shipped or delivered package marks it *refund requested* (a return to receive).

OMS moves no money and tells Omnitron nothing here: Omnitron is where the cancellation comes from.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction

from oms.core.errors import ConflictError, DomainError
from oms.core.statuses import OrderStatus, PackageStatus
from oms.orders.cancellation_models import CancellationPlan, PlanType
from oms.orders.models import Order, OrderItem
from oms.packages.cancellations import (
    BEFORE_PACKING,
    ON_THE_WAY,
    PackageMoved,
    package_cancel,
    package_cancellation_request,
    package_items_split_off,
    package_refund_request,
    preparing_reports_withdraw,
)
from oms.packages.models import Package, PackageItem

logger = logging.getLogger(__name__)

CANCELLED_ITEM_STATUSES = frozenset({OrderStatus.CANCELLATION_WAITING, OrderStatus.CANCELLED})
PLAN_ATTEMPTS = 5


@dataclass(frozen=True)
class CancelResult:
    plan: CancellationPlan | None
    created: bool


def _target_status(plan_type: str) -> int:
    return OrderStatus.REFUNDED if plan_type == PlanType.REFUND else OrderStatus.CANCELLED


def _items_resolve(*, order: Order, item_omnitron_ids: list[int]) -> dict[int, OrderItem]:
    items = {item.omnitron_id: item for item in OrderItem.objects.filter(order=order)}
    unknown = sorted(set(item_omnitron_ids) - set(items))
    if unknown:
        raise DomainError(
            f"Order items {', '.join(map(str, unknown))} are not items of order {order.number} "
            f"(Omnitron order {order.omnitron_id}). Its items are {', '.join(map(str, sorted(items)))}.",
            field="order_items",
        )
    return {pk: items[pk] for pk in item_omnitron_ids}


def _plan_package(
    *, package: Package, item_ids: list[int], plan_type: str, attributes: dict, now: datetime
) -> str:
    """Apply the plan to one package (inside the caller's transaction); returns what was done."""
    status = package.status
    if plan_type == PlanType.REFUND and status >= PackageStatus.SHIPPED and status != PackageStatus.CANCELLED:
        package_refund_request(package=package, attributes=attributes, now=now)
        return "refund_requested"
    if status in BEFORE_PACKING:
        active = set(
            PackageItem.objects.filter(package_id=package.pk)
            .exclude(status=PackageStatus.CANCELLED)
            .values_list("order_item_id", flat=True)
        )
        if active <= set(item_ids):
            package_cancel(package=package, attributes=attributes, now=now)
            return "cancelled"
        package_items_split_off(package=package, order_item_ids=item_ids, attributes=attributes, now=now)
        return "items_removed"
    if status == PackageStatus.PACKED or status in ON_THE_WAY:
        package_cancellation_request(package=package, order_item_ids=item_ids, attributes=attributes, now=now)
        return "cancellation_requested" if status == PackageStatus.PACKED else "shipped_after_cancellation"
    if status == PackageStatus.DELIVERED:
        raise DomainError(
            f"Package {package.number} is delivered: a cancel plan no longer applies to its items. "
            "A refund is what applies: send a plan with plan_type 'refund'.",
            field="plan_type",
        )
    return "nothing"  # cancelled already, or a status cancellations do not touch


def order_items_cancel(
    *,
    order: Order,
    item_omnitron_ids: list[int],
    plan_type: str,
    reason: str,
    source: str,
    now: datetime,
    plan_id: int | None = None,
) -> CancelResult:
    """Cancel (or refund) some items of an order in OMS, once, whatever said so.

    All or nothing: a refusal (an unknown item, a cancel plan for a delivered package) writes
    nothing. With `plan_id`, the same plan again gives the stored plan (`created=False`). Without
    it, items already cancelled (refunded) are left alone, and nothing to do gives no plan.
    """
    if plan_type not in PlanType.values:
        raise DomainError(f"plan_type must be one of: {', '.join(PlanType.values)}.", field="plan_type")
    if plan_id is not None:
        existing = CancellationPlan.objects.filter(plan_id=plan_id).first()
        if existing is not None:
            return CancelResult(plan=existing, created=False)
    items = _items_resolve(order=order, item_omnitron_ids=list(dict.fromkeys(item_omnitron_ids)))
    target = _target_status(plan_type)
    for _ in range(PLAN_ATTEMPTS):
        try:
            with transaction.atomic():
                return _apply(
                    order=order,
                    items=items,
                    plan_type=plan_type,
                    target=target,
                    reason=reason,
                    source=source,
                    now=now,
                    plan_id=plan_id,
                )
        except PackageMoved:
            continue  # packing (or another cancellation) won the row: plan again from what it left
        except IntegrityError:
            if plan_id is not None:
                existing = CancellationPlan.objects.filter(plan_id=plan_id).first()
                if existing is not None:  # the same plan, sent twice at once
                    return CancelResult(plan=existing, created=False)
            continue
    raise ConflictError(
        f"The packages of order {order.number} kept changing while the cancellation was applied. "
        "Send it again.",
    )


def _apply(*, order, items, plan_type, target, reason, source, now, plan_id) -> CancelResult:
    done = {pk for pk, item in items.items() if _already(item.status, target)}
    todo = {pk: item for pk, item in items.items() if pk not in done}
    if not todo and plan_id is None:
        return CancelResult(plan=None, created=False)
    by_package: dict[int, list[int]] = {}
    for package_id, order_item_id in PackageItem.objects.filter(
        order_item_id__in=[item.pk for item in todo.values()]
    ).values_list("package_id", "order_item_id"):
        by_package.setdefault(package_id, []).append(order_item_id)
    outcome: dict[str, dict] = {}
    omnitron_of = {item.pk: pk for pk, item in todo.items()}
    for package in Package.objects.filter(pk__in=by_package).order_by("pk"):
        item_ids = by_package[package.pk]
        omnitron_ids = sorted(omnitron_of[i] for i in item_ids)
        attributes = {"plan_type": plan_type, "source": source, "reason": reason, "items": omnitron_ids}
        if plan_id is not None:
            attributes["plan_id"] = plan_id
        action = _plan_package(
            package=package, item_ids=item_ids, plan_type=plan_type, attributes=attributes, now=now
        )
        superseded = preparing_reports_withdraw(
            package_id=package.pk, omnitron_item_ids=set(omnitron_ids), now=now
        )
        outcome[package.number] = {"action": action, "items": omnitron_ids, "reports_superseded": superseded}
    OrderItem.objects.filter(pk__in=[item.pk for item in todo.values()]).update(
        status=target, modified_at=now
    )
    statuses = set(OrderItem.objects.filter(order=order).values_list("status", flat=True))
    if statuses <= CANCELLED_ITEM_STATUSES or statuses == {OrderStatus.REFUNDED}:
        Order.objects.filter(pk=order.pk).update(status=max(statuses), modified_at=now)
    plan = CancellationPlan.objects.create(
        plan_id=plan_id,
        order=order,
        plan_type=plan_type,
        source=source,
        reason=reason[:255],
        items=sorted(items),
        outcome={"packages": outcome, "already": sorted(done)},
        received_at=now,
    )
    logger.info("Order %s: %s of items %s (%s): %s", order.number, plan_type, sorted(items), source, outcome)
    return CancelResult(plan=plan, created=True)


def _already(status: int, target: int) -> bool:
    if target == OrderStatus.REFUNDED:
        return status == OrderStatus.REFUNDED
    return status in CANCELLED_ITEM_STATUSES or status == OrderStatus.REFUNDED


def cancelled_items_of(*, statuses: dict[int, int]) -> tuple[list[int], list[int]]:
    """From Omnitron item statuses (pk -> status): the items cancelled, and those refunded."""
    cancelled = sorted(pk for pk, status in statuses.items() if status in CANCELLED_ITEM_STATUSES)
    refunded = sorted(pk for pk, status in statuses.items() if status == OrderStatus.REFUNDED)
    return cancelled, refunded


def order_cancellations_apply(*, order: Order, data, source: str, now: datetime) -> list[CancelResult]:
    """What an Omnitron order read (pushed, pulled or followed) says was cancelled or refunded.

    An order in 50 or 100 has all its items cancelled; otherwise each item's own status counts.
    Items OMS does not hold are left out. A refusal (e.g. 100 for a delivered package) is logged
    and changes nothing: the order as read cannot be acted on, and the sender is not at fault.
    """
    statuses: dict[int, int]
    if data.status in CANCELLED_ITEM_STATUSES:
        statuses = {item.pk: OrderStatus.CANCELLED for item in data.items}
    else:
        statuses = {item.pk: item.status for item in data.items}
    cancelled, refunded = cancelled_items_of(statuses=statuses)
    if not cancelled and not refunded:
        return []  # the usual case: no query
    known = set(OrderItem.objects.filter(order=order).values_list("omnitron_id", flat=True))
    cancelled, refunded = [pk for pk in cancelled if pk in known], [pk for pk in refunded if pk in known]
    results = []
    for plan_type, ids in ((PlanType.CANCEL, cancelled), (PlanType.REFUND, refunded)):
        if not ids:
            continue
        try:
            result = order_items_cancel(
                order=order,
                item_omnitron_ids=ids,
                plan_type=plan_type,
                reason=f"Omnitron order status {data.status}",
                source=source,
                now=now,
            )
        except DomainError as exc:
            logger.warning("Order %s: %s from %s not applied: %s", order.number, plan_type, source, exc)
            continue
        if result.plan is not None:
            results.append(result)
    return results
