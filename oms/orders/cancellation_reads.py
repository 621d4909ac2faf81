"""Receiving a cancellation plan: the order it names (read from Omnitron and ingested when OMS
lacks it), then the one cancellation service (`oms.orders.cancellations.order_items_cancel`)."""

from datetime import datetime

from oms.core.errors import DomainError, NotFoundError, ServiceUnavailable
from oms.omnitron.boundary import omnitron_ask
from oms.omnitron.ports import OmnitronPortFactory
from oms.orders.cancellation_models import CancellationPlan, CancellationSource
from oms.orders.cancellations import CancelResult, order_items_cancel
from oms.orders.models import Order
from oms.orders.services import order_ingest


def order_for_plan(*, omnitron_order_id: int, client_factory: OmnitronPortFactory, now: datetime) -> Order:
    """The OMS order for an Omnitron order pk; read from Omnitron and ingested when new to OMS.

    Omnitron is asked outside any transaction; neither OMS nor Omnitron having it is a NotFoundError.
    """
    order = Order.objects.filter(omnitron_id=omnitron_order_id).first()
    if order is not None:
        return order
    data = omnitron_ask(
        lambda omnitron: omnitron.order_get(omnitron_order_id),
        client_factory=client_factory,
        field="order",
        not_found=None,
        unavailable=lambda error: (
            f"Order {omnitron_order_id} is new to OMS and must be read from Omnitron, which is "
            f"unavailable ({error}). Nothing was stored; send the plan again later."
        ),
        failed=lambda error: f"Reading order {omnitron_order_id} from Omnitron failed: {error}",
    )
    if data is None:
        raise NotFoundError(
            f"Neither OMS nor Omnitron has order {omnitron_order_id}. Check the plan's 'order' (the "
            "Omnitron order pk); once the order exists, send the plan again.",
            field="order",
        )
    try:
        return order_ingest(data=data, client_factory=client_factory, now=now).order
    except ServiceUnavailable:
        raise
    except DomainError as exc:
        messages = " ".join(m for ms in exc.errors.values() for m in map(str, ms))
        raise NotFoundError(
            f"OMS does not hold order {omnitron_order_id} and cannot take it: {messages} "
            "Nothing was cancelled in OMS, since OMS never planned its packages.",
            field="order",
        ) from None


def cancellation_plan_receive(
    *,
    plan_id: int,
    omnitron_order_id: int,
    plan_type: str,
    item_omnitron_ids: list[int],
    reason: str,
    client_factory: OmnitronPortFactory,
    now: datetime,
) -> CancelResult:
    """Apply a cancellation plan Omnitron sent, once per plan id.

    The same plan again gives the stored plan (`created=False`); a plan id already used for another
    order or plan type is refused.
    """
    existing = CancellationPlan.objects.filter(plan_id=plan_id).select_related("order").first()
    if existing is None:
        order = order_for_plan(omnitron_order_id=omnitron_order_id, client_factory=client_factory, now=now)
        result = order_items_cancel(
            order=order,
            item_omnitron_ids=item_omnitron_ids,
            plan_type=plan_type,
            reason=reason,
            source=CancellationSource.PLAN,
            now=now,
            plan_id=plan_id,
        )
    else:
        result = CancelResult(plan=existing, created=False)
    plan = result.plan
    if plan is None:  # cannot happen with a plan id: a plan is always stored
        raise DomainError(f"Plan {plan_id} was not stored.", field="id")
    if plan.order.omnitron_id != omnitron_order_id or plan.plan_type != plan_type:
        raise DomainError(
            f"Plan {plan_id} was received before for order {plan.order.omnitron_id} "
            f"({plan.plan_type}); a plan id names one plan.",
            field="id",
        )
    return result
