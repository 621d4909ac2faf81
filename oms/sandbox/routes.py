"""The sandbox's routes: the Omnitron API it imitates and its own control endpoints, with the
handlers that are more than one line (login, the order listing, DRF-style pages)."""

import math
import re
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode

from oms.sandbox.cancellations import cancellation_routes
from oms.sandbox.transport import Reply, Request, json_reply
from oms.sandbox.wire import SandboxError, invalid, parse_datetime, wire_status

if TYPE_CHECKING:
    from oms.sandbox.server import SandboxServer

DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 500

Handler = Callable[..., Reply]
# (method, compiled path, handler, whether it needs the API token)
Route = tuple[str, re.Pattern[str], Handler, bool]


def api_routes(server: "SandboxServer") -> list[Route]:
    """The Omnitron API the sandbox answers: (method, path pattern, handler, needs a token)."""
    table: list[tuple[str, str, Handler, bool]] = [
        ("POST", r"/api/v1/auth/login/", partial(_api_login, server), False),
        ("GET", r"/api/v1/orders/", partial(_api_orders, server), True),
        (
            "GET",
            r"/api/v1/orders/(\d+)/",
            lambda request, pk: json_reply(200, server.store.order(pk)),
            True,
        ),
        ("GET", r"/api/v1/channels/", lambda request: _page(request, server.store.channels()), True),
        (
            "GET",
            r"/api/v1/channels/(\d+)/",
            lambda request, pk: json_reply(200, server.store.channel(pk)),
            True,
        ),
        (
            "GET",
            r"/api/v1/cargo_companies/",
            lambda request: _page(request, server.store.cargo_companies()),
            True,
        ),
        (
            "GET",
            r"/api/v1/cargo_companies/(\d+)/",
            lambda request, pk: json_reply(200, server.store.cargo_company(pk)),
            True,
        ),
        (
            "PATCH",
            r"/api/i1/order_items/bulk_status_update/",
            lambda request: json_reply(200, server.store.items_status_bulk_update(request.body)),
            True,
        ),
        (
            "PATCH",
            r"/api/v1/order_items/(\d+)/",
            lambda request, pk: json_reply(200, server.store.item_status_update(pk, request.body)),
            True,
        ),
    ]
    return [(method, re.compile(path), handler, auth) for method, path, handler, auth in table]


def control_routes(server: "SandboxServer") -> list[Route]:
    """The sandbox's own control endpoints (`/_sandbox/...`), open to anyone on loopback."""

    def body(request: Request) -> dict[str, Any]:
        if request.body is None:
            return {}
        if not isinstance(request.body, dict):
            raise invalid("non_field_errors", "The body must be a JSON object.")
        return request.body

    def order_status(request: Request, pk: int) -> Reply:
        data = body(request)
        if "status" not in data:
            raise invalid("status", "This field is required.")
        return json_reply(
            200, server.store.order_status_set(pk, data["status"], data.get("tracking_number", ...))
        )

    def faults_delete(request: Request) -> Reply:
        server.clear_faults()
        return json_reply(200, server.faults())

    def requests_delete(request: Request) -> Reply:
        server.clear_requests()
        return Reply(204)

    def push_post(request: Request) -> Reply:
        data = body(request)
        url, token, enabled = data.get("url"), data.get("token"), data.get("enabled", True)
        if url is not None and (not isinstance(url, str) or not url.startswith(("http://", "https://"))):
            raise invalid("url", "An http(s) URL is required.")
        if token is not None and not isinstance(token, str):
            raise invalid("token", "A string is required.")
        if not isinstance(enabled, bool):
            raise invalid("enabled", "Must be true or false.")
        if enabled and not (url or server.pusher.status()["url"]):
            raise invalid("url", "This field is required to enable pushing.")
        server.configure_push(url, token, enabled)
        return json_reply(200, server.push_status())

    def reset(request: Request) -> Reply:
        server.reset()
        return json_reply(200, {"status": "reset"})

    table: list[tuple[str, str, Handler]] = [
        ("GET", r"/_sandbox/health/", lambda request: json_reply(200, {"status": "ok"})),
        ("POST", r"/_sandbox/reset/", reset),
        ("GET", r"/_sandbox/orders/", lambda request: json_reply(200, server.store.orders())),
        (
            "POST",
            r"/_sandbox/orders/",
            lambda request: json_reply(201, server.store.order_create(body(request))),
        ),
        ("GET", r"/_sandbox/orders/(\d+)/", lambda request, pk: json_reply(200, server.store.order(pk))),
        ("POST", r"/_sandbox/orders/(\d+)/status/", order_status),
        ("GET", r"/_sandbox/channels/", lambda request: json_reply(200, server.store.channels())),
        (
            "POST",
            r"/_sandbox/channels/",
            lambda request: json_reply(201, server.store.channel_create(body(request))),
        ),
        (
            "GET",
            r"/_sandbox/cargo_companies/",
            lambda request: json_reply(200, server.store.cargo_companies()),
        ),
        (
            "POST",
            r"/_sandbox/cargo_companies/",
            lambda request: json_reply(201, server.store.cargo_company_create(body(request))),
        ),
        ("GET", r"/_sandbox/faults/", lambda request: json_reply(200, server.faults())),
        ("POST", r"/_sandbox/faults/", lambda request: json_reply(200, server._faults_set(body(request)))),
        ("DELETE", r"/_sandbox/faults/", faults_delete),
        (
            "GET",
            r"/_sandbox/requests/",
            lambda request: json_reply(200, server.requests(request.params.get("path"))),
        ),
        ("DELETE", r"/_sandbox/requests/", requests_delete),
        ("GET", r"/_sandbox/push/", lambda request: json_reply(200, server.push_status())),
        ("POST", r"/_sandbox/push/", push_post),
        *cancellation_routes(server, body),
    ]
    return [(method, re.compile(path), handler, False) for method, path, handler in table]


def _api_login(server: "SandboxServer", request: Request) -> Reply:
    data = request.body if isinstance(request.body, dict) else {}
    return json_reply(200, {"key": server.store.login(data.get("username"), data.get("password"))})


def _api_orders(server: "SandboxServer", request: Request) -> Reply:
    params = request.params
    ids = None
    if params.get("id__in"):
        try:
            ids = [int(value) for value in params["id__in"].split(",") if value.strip()]
        except ValueError:
            raise invalid("id__in", "Enter a whole number.") from None
    status = wire_status(params["status"]) if params.get("status") else None
    gte = (
        parse_datetime(params["modified_date__gte"], "modified_date__gte")
        if params.get("modified_date__gte")
        else None
    )
    lte = (
        parse_datetime(params["modified_date__lte"], "modified_date__lte")
        if params.get("modified_date__lte")
        else None
    )
    orders = server.store.orders(ids=ids, status=status, modified_gte=gte, modified_lte=lte)
    return _page(request, orders)


def _page(request: Request, items: list[dict[str, Any]]) -> Reply:
    """One page of `items`, DRF page-number style with `limit` (at most 500)."""
    params = request.params
    try:
        limit = int(params.get("limit", DEFAULT_PAGE_SIZE))
    except ValueError:
        limit = DEFAULT_PAGE_SIZE
    limit = DEFAULT_PAGE_SIZE if limit < 1 else min(limit, MAX_PAGE_SIZE)
    page_text = params.get("page", "1")
    pages = max(1, math.ceil(len(items) / limit))
    if not page_text.isdigit() or not 1 <= int(page_text) <= pages:
        raise SandboxError(404, {"detail": "Invalid page."})
    page = int(page_text)

    def link(number: int) -> str:
        pairs = [
            (key, value) for key, value in parse_qsl(request.query, keep_blank_values=True) if key != "page"
        ]
        if number > 1:
            pairs.append(("page", str(number)))
        query = urlencode(pairs)
        return f"http://{request.host}{request.path}" + (f"?{query}" if query else "")

    return json_reply(
        200,
        {
            "count": len(items),
            "next": link(page + 1) if page < pages else None,
            "previous": link(page - 1) if page > 1 else None,
            "results": items[(page - 1) * limit : page * limit],
        },
    )
