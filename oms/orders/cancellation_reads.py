"""The order a cancellation plan names, read from Omnitron and ingested when OMS lacks it."""

from collections.abc import Callable
from datetime import datetime

from rest_framework import status

from oms.core.errors import DomainError, ServiceUnavailable
from oms.omnitron.errors import OmnitronError, OmnitronNotFound, OmnitronUnavailable
from oms.orders.models import Order
from oms.orders.services import order_ingest


class PlanOrderNotFound(DomainError):
    """Neither OMS nor Omnitron has the order a plan names (answered with 404)."""

    status_code = status.HTTP_404_NOT_FOUND


def order_for_plan(*, omnitron_order_id: int, client_factory: Callable, now: datetime) -> Order:
    """The OMS order for an Omnitron order pk; read from Omnitron and ingested when new to OMS."""
    order = Order.objects.filter(omnitron_id=omnitron_order_id).first()
    if order is not None:
        return order
    try:
        client = client_factory()
        try:
            data = client.order_get(omnitron_order_id)
        finally:
            client.close()
    except OmnitronNotFound:
        raise PlanOrderNotFound(
            f"Neither OMS nor Omnitron has order {omnitron_order_id}. Check the plan's 'order' (the "
            "Omnitron order pk); once the order exists, send the plan again.",
            field="order",
        ) from None
    except OmnitronUnavailable as exc:
        raise ServiceUnavailable(
            f"Order {omnitron_order_id} is new to OMS and must be read from Omnitron, which is "
            f"unavailable ({exc}). Nothing was stored; send the plan again later.",
            retry_after=int(exc.retry_after or 30),
        ) from exc
    except OmnitronError as exc:
        raise DomainError(
            f"Reading order {omnitron_order_id} from Omnitron failed: {exc}", field="order"
        ) from exc
    try:
        return order_ingest(data=data, client_factory=client_factory, now=now).order
    except ServiceUnavailable:
        raise
    except DomainError as exc:
        messages = " ".join(m for ms in exc.errors.values() for m in map(str, ms))
        raise PlanOrderNotFound(
            f"OMS does not hold order {omnitron_order_id} and cannot take it: {messages} "
            "Nothing was cancelled in OMS, since OMS never planned its packages.",
            field="order",
        ) from None
