"""Sandbox control endpoints for marketplace cancellations and refunds.

`POST /_sandbox/orders/{pk}/cancel/` cancels an order or some of its items (items 100, or 50 when
asked), `POST /_sandbox/orders/{pk}/refund/` refunds them (600). Either can then tell OMS the way
Omnitron would: `send_plan` (default true) POSTs a cancellation plan to OMS's
`/api/v1/oms/cancellation_plan/` (next to the configured push URL, or `plan_url`), `push_order`
pushes the order again to the push URL. Body (all optional):

    {"items": [5001], "status": "100", "reason": "customer", "send_plan": true,
     "push_order": false, "plan_url": "http://127.0.0.1:8000/api/v1/oms/cancellation_plan/"}

Answer: the order as it is now, with `plan` (the plan's body) and `plan_sent` (false when pushing
is off or no URL is known: the caller may then POST the plan itself). No Django.
"""

import copy
import itertools
from typing import TYPE_CHECKING, Any

from oms.sandbox.transport import Reply, Request, json_reply
from oms.sandbox.wire import invalid, not_found, wire_status

if TYPE_CHECKING:
    from oms.sandbox.server import SandboxServer

PLAN_PATH = "/api/v1/oms/cancellation_plan/"
ORDER_PUSH_PATH = "/api/v1/oms/omnitron/orders/"
FIRST_PLAN_ID = 70001
_plan_ids = itertools.count(FIRST_PLAN_ID)


def plan_url_for(push_url: str) -> str:
    """OMS's plan endpoint beside its order endpoint (the configured push URL)."""
    if push_url.endswith(ORDER_PUSH_PATH):
        return push_url[: -len(ORDER_PUSH_PATH)] + PLAN_PATH
    return ""


def _items_pick(order: dict[str, Any], items: Any) -> list[int]:
    pks = [item["pk"] for item in order["orderitem_set"]]
    if items is None:
        return pks
    if (
        not isinstance(items, list)
        or not items
        or any(isinstance(pk, bool) or not isinstance(pk, int) for pk in items)
    ):
        raise invalid("items", "A non-empty list of order item pks is required.")
    unknown = sorted(set(items) - set(pks))
    if unknown:
        raise invalid("items", f"Not items of order {order['pk']}: {', '.join(map(str, unknown))}.")
    return list(dict.fromkeys(items))


def items_cancel(server: "SandboxServer", pk: int, data: dict[str, Any], *, plan_type: str) -> dict[str, Any]:
    """Set the items' status in the store; then send the plan and/or push the order, as asked."""
    default = "600" if plan_type == "refund" else "100"
    status = wire_status(data.get("status", default))
    if plan_type == "cancel" and status not in ("50", "100"):
        raise invalid("status", 'A cancellation is "100" (cancelled) or "50" (cancellation waiting).')
    if plan_type == "refund" and status != "600":
        raise invalid("status", 'A refund is "600".')
    for flag in ("send_plan", "push_order"):
        if not isinstance(data.get(flag, False), bool):
            raise invalid(flag, "Must be true or false.")
    reason = data.get("reason", "")
    if not isinstance(reason, str):
        raise invalid("reason", "A string is required.")
    store = server.store
    with store.lock:
        if pk not in store._orders:
            raise not_found()
        picked = _items_pick(store._orders[pk], data.get("items"))
        store._items_apply([(item, status) for item in picked])
        order = copy.deepcopy(store._orders[pk])
    plan = {
        "id": next(_plan_ids),
        "order": pk,
        "plan_type": plan_type,
        "order_items": picked,
        "reason": reason,
    }
    sent = False
    if data.get("send_plan", True):
        url = data.get("plan_url") or plan_url_for(server.push_status()["url"])
        if isinstance(url, str) and url.startswith(("http://", "https://")):
            sent = server.pusher.post(url, plan, label=f"plan {plan['id']}")
    if data.get("push_order", False):
        server.pusher.order_created(copy.deepcopy(order))
    return {**order, "plan": plan, "plan_sent": sent}


def cancellation_routes(server: "SandboxServer", body) -> list[tuple[str, str, Any]]:
    """The control routes of cancellations and refunds, for `oms.sandbox.routes.control_routes`."""

    def cancel(request: Request, pk: int) -> Reply:
        return json_reply(200, items_cancel(server, pk, body(request), plan_type="cancel"))

    def refund(request: Request, pk: int) -> Reply:
        return json_reply(200, items_cancel(server, pk, body(request), plan_type="refund"))

    return [
        ("POST", r"/_sandbox/orders/(\d+)/cancel/", cancel),
        ("POST", r"/_sandbox/orders/(\d+)/refund/", refund),
    ]
