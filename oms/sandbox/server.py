"""`SandboxServer`: the sandbox's public face, its routes and its request log (endpoints: `oms.sandbox`).

No Django.
"""

import logging
import math
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Self
from urllib.parse import parse_qsl, urlencode

from oms.sandbox.cancellations import cancellation_routes
from oms.sandbox.faults import FaultBoard
from oms.sandbox.push import PushConfig, Pusher
from oms.sandbox.store import SandboxError, Store, invalid, parse_datetime, wire_datetime, wire_status
from oms.sandbox.transport import Reply, Request, SandboxHTTPServer, html_reply, json_reply

logger = logging.getLogger(__name__)

DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 500
REQUEST_LOG_SIZE = 50_000
CONTROL_PREFIX = "/_sandbox/"


Handler = Callable[..., Reply]


class SandboxServer:
    """A sandbox Omnitron on `host:port` (0 = an ephemeral port), with Python helpers for tests."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        username: str = "omnitron",
        password: str = "omnitron-sandbox",  # noqa: S107 (the sandbox's documented default)
        *,
        push_url: str | None = None,
        push_token: str = "",
    ) -> None:
        self.host = host
        self.username = username
        self.password = password
        self._requested_port = port
        self.pusher = Pusher(PushConfig(url=push_url or "", token=push_token, enabled=bool(push_url)))
        self.store = Store(users={username: password}, on_order_created=self.pusher.order_created)
        self._faults = FaultBoard()
        self._log: deque[dict[str, Any]] = deque(maxlen=REQUEST_LOG_SIZE)
        self._log_lock = threading.Lock()
        self._log_ids = 0
        self._httpd: SandboxHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopped = threading.Event()
        self._api_routes = self._api_routes_build()
        self._control_routes = self._control_routes_build()

    # Lifecycle

    def start(self) -> Self:
        """Bind and serve in a daemon thread; returns self (so `SandboxServer().start()` works)."""
        if self._httpd is not None:
            raise RuntimeError("The sandbox is already started.")
        self._stopped.clear()
        self._httpd = SandboxHTTPServer((self.host, self._requested_port), self._answer)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1}, name="sandbox-http", daemon=True
        )
        self._thread.start()
        logger.info("Omnitron sandbox serving at %s", self.url)
        return self

    def stop(self) -> None:
        """Stop serving, close open connections and the push thread. Safe to call twice."""
        httpd, self._httpd = self._httpd, None
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()
            httpd.close_connections()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self.pusher.stop()
        self._stopped.set()

    def serve_forever(self) -> None:
        """Start (if needed) and block until `stop()` is called (from a signal handler or thread)."""
        if self._httpd is None:
            self.start()
        while not self._stopped.wait(0.5):
            pass

    def __enter__(self) -> Self:
        return self.start() if self._httpd is None else self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("The sandbox is not started.")
        return self._httpd.server_port

    @property
    def url(self) -> str:
        """The base URL, e.g. `http://127.0.0.1:54321` (no trailing slash)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    # Python helpers (the same operations as the control endpoints)

    def create_order(self, channel: int = 42, cargo_company: int | None = 7, **fields: Any) -> dict[str, Any]:
        """Create an order (see `POST /_sandbox/orders/` for the fields); returns its Order JSON."""
        return self.store.order_create({"channel": channel, "cargo_company": cargo_company, **fields})

    def set_status(self, pk: int, status: int | str, tracking_number: Any = ...) -> dict[str, Any]:
        """Set an order's and its items' status (and tracking number when given)."""
        return self.store.order_status_set(pk, status, tracking_number)

    def order(self, pk: int) -> dict[str, Any]:
        """One order's JSON (raises `SandboxError` 404 when unknown)."""
        return self.store.order(pk)

    def orders(self) -> list[dict[str, Any]]:
        """Every order, ordered by modified date then pk."""
        return self.store.orders()

    def create_channel(self, **fields: Any) -> dict[str, Any]:
        """Add a channel: `name` required; `pk`, `channel_type`, `is_active` optional."""
        return self.store.channel_create(fields)

    def create_cargo_company(self, **fields: Any) -> dict[str, Any]:
        """Add a cargo company: `name` required; `pk`, `erp_code`, `shipping_company` optional."""
        return self.store.cargo_company_create(fields)

    def set_faults(self, **faults: Any) -> dict[str, Any]:
        """Set the given faults (others are kept); returns all faults now in force."""
        return self._faults_set(faults)

    def clear_faults(self) -> None:
        """Remove every fault."""
        self._faults.clear()

    def faults(self) -> dict[str, Any]:
        """The faults in force (counters show what is left)."""
        return self._faults.as_json()

    def expire_tokens(self) -> int:
        """Invalidate every token now; returns how many there were."""
        return self.store.expire_tokens()

    def requests(self, path: str | None = None) -> list[dict[str, Any]]:
        """The recorded API requests, oldest first, optionally only those under a path prefix."""
        with self._log_lock:
            return [dict(entry) for entry in self._log if path is None or entry["path"].startswith(path)]

    def clear_requests(self) -> None:
        """Forget the recorded API requests."""
        with self._log_lock:
            self._log.clear()

    def configure_push(self, url: str | None = None, token: str | None = None, enabled: bool = True) -> None:
        """Push every order created from now on to `url` with `Authorization: Token <token>`."""
        self.pusher.configure(url=url, token=token, enabled=enabled)

    def push_status(self) -> dict[str, Any]:
        """The push configuration (token masked) and its counters."""
        return self.pusher.status()

    def push_wait(self, timeout: float = 5.0) -> bool:
        """Wait until queued pushes are delivered or given up; False on timeout."""
        return self.pusher.wait_idle(timeout)

    def reset(self) -> None:
        """Empty orders, faults, request log and push counters; keep seed data, users and tokens."""
        self.store.reset()
        self.clear_faults()
        self.clear_requests()
        self.pusher.reset()

    # Faults

    def _faults_set(self, data: Any) -> dict[str, Any]:
        current = self._faults.set(data)
        if data.get("expire_tokens"):
            self.store.expire_tokens()
        return current

    # Dispatch

    def _answer(self, request: Request) -> Reply | None:
        """The reply to one HTTP request; None means: close the connection without answering."""
        if request.path.startswith(CONTROL_PREFIX):
            return self._dispatch(self._control_routes, request)
        arrived = datetime.now(UTC)
        decision = self._faults.take(request.path)
        action = decision.action
        if decision.latency_seconds:
            time.sleep(decision.latency_seconds)
        reply: Reply | None
        if action == "drop":
            reply = None
        elif action == "rate_limit":
            reply = json_reply(
                429,
                {"detail": f"Request was throttled. Expected available in {decision.retry_after} seconds."},
                {"Retry-After": str(decision.retry_after)},
            )
        elif action == "error":
            reply = html_reply(decision.error_status)
        else:
            reply = self._dispatch(self._api_routes, request)
            if reply.status == 200 and self._faults.take_malformed(request.path):
                action = "malformed"
                reply.body = reply.body[: len(reply.body) // 2]
        self._record(request, arrived, reply, action)
        return reply

    def _record(self, request: Request, arrived: datetime, reply: Reply | None, fault: str | None) -> None:
        body = request.body
        if request.path.endswith("/auth/login/") and isinstance(body, dict) and "password" in body:
            body = {**body, "password": "********"}
        token = request.authorization.removeprefix("Token ").strip()
        with self._log_lock:
            self._log_ids += 1
            self._log.append(
                {
                    "id": self._log_ids,
                    "time": wire_datetime(arrived),
                    "method": request.method,
                    "path": request.path,
                    "query": request.query,
                    "params": request.params,
                    "body": body,
                    "status": reply.status if reply is not None else None,
                    "fault": fault,
                    "user": self.store.authenticate(token) if token else None,
                }
            )

    def _dispatch(self, routes: list[tuple[str, re.Pattern[str], Handler, bool]], request: Request) -> Reply:
        allowed = []
        for method, pattern, handler, needs_auth in routes:
            match = pattern.fullmatch(request.path)
            if match is None:
                continue
            if needs_auth:
                unauthorized = self._unauthorized(request)
                if unauthorized is not None:
                    return unauthorized
            if method != request.method:
                allowed.append(method)
                continue
            if request.body_error and request.method in ("POST", "PATCH", "PUT"):
                return json_reply(400, {"detail": request.body_error})
            try:
                return handler(request, *(int(group) for group in match.groups()))
            except SandboxError as exc:
                return json_reply(exc.status, exc.body)
        if allowed:
            return json_reply(
                405, {"detail": f'Method "{request.method}" not allowed.'}, {"Allow": ", ".join(allowed)}
            )
        return json_reply(404, {"detail": "Not found."})

    def _unauthorized(self, request: Request) -> Reply | None:
        scheme, _, token = request.authorization.partition(" ")
        headers = {"WWW-Authenticate": "Token"}
        if scheme.lower() != "token" or not token.strip():
            return json_reply(401, {"detail": "Authentication credentials were not provided."}, headers)
        if self.store.authenticate(token.strip()) is None:
            return json_reply(401, {"detail": "Invalid token."}, headers)
        return None

    def _api_routes_build(self) -> list[tuple[str, re.Pattern[str], Handler, bool]]:
        table: list[tuple[str, str, Handler, bool]] = [
            ("POST", r"/api/v1/auth/login/", self._api_login, False),
            ("GET", r"/api/v1/orders/", self._api_orders, True),
            (
                "GET",
                r"/api/v1/orders/(\d+)/",
                lambda request, pk: json_reply(200, self.store.order(pk)),
                True,
            ),
            ("GET", r"/api/v1/channels/", lambda request: self._page(request, self.store.channels()), True),
            (
                "GET",
                r"/api/v1/channels/(\d+)/",
                lambda request, pk: json_reply(200, self.store.channel(pk)),
                True,
            ),
            (
                "GET",
                r"/api/v1/cargo_companies/",
                lambda request: self._page(request, self.store.cargo_companies()),
                True,
            ),
            (
                "GET",
                r"/api/v1/cargo_companies/(\d+)/",
                lambda request, pk: json_reply(200, self.store.cargo_company(pk)),
                True,
            ),
            (
                "PATCH",
                r"/api/i1/order_items/bulk_status_update/",
                lambda request: json_reply(200, self.store.items_status_bulk_update(request.body)),
                True,
            ),
            (
                "PATCH",
                r"/api/v1/order_items/(\d+)/",
                lambda request, pk: json_reply(200, self.store.item_status_update(pk, request.body)),
                True,
            ),
        ]
        return [(method, re.compile(path), handler, auth) for method, path, handler, auth in table]

    def _control_routes_build(self) -> list[tuple[str, re.Pattern[str], Handler, bool]]:
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
                200, self.store.order_status_set(pk, data["status"], data.get("tracking_number", ...))
            )

        def faults_delete(request: Request) -> Reply:
            self.clear_faults()
            return json_reply(200, self.faults())

        def requests_delete(request: Request) -> Reply:
            self.clear_requests()
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
            if enabled and not (url or self.pusher.status()["url"]):
                raise invalid("url", "This field is required to enable pushing.")
            self.configure_push(url, token, enabled)
            return json_reply(200, self.push_status())

        def reset(request: Request) -> Reply:
            self.reset()
            return json_reply(200, {"status": "reset"})

        table: list[tuple[str, str, Handler]] = [
            ("GET", r"/_sandbox/health/", lambda request: json_reply(200, {"status": "ok"})),
            ("POST", r"/_sandbox/reset/", reset),
            ("GET", r"/_sandbox/orders/", lambda request: json_reply(200, self.store.orders())),
            (
                "POST",
                r"/_sandbox/orders/",
                lambda request: json_reply(201, self.store.order_create(body(request))),
            ),
            ("GET", r"/_sandbox/orders/(\d+)/", lambda request, pk: json_reply(200, self.store.order(pk))),
            ("POST", r"/_sandbox/orders/(\d+)/status/", order_status),
            ("GET", r"/_sandbox/channels/", lambda request: json_reply(200, self.store.channels())),
            (
                "POST",
                r"/_sandbox/channels/",
                lambda request: json_reply(201, self.store.channel_create(body(request))),
            ),
            (
                "GET",
                r"/_sandbox/cargo_companies/",
                lambda request: json_reply(200, self.store.cargo_companies()),
            ),
            (
                "POST",
                r"/_sandbox/cargo_companies/",
                lambda request: json_reply(201, self.store.cargo_company_create(body(request))),
            ),
            ("GET", r"/_sandbox/faults/", lambda request: json_reply(200, self.faults())),
            ("POST", r"/_sandbox/faults/", lambda request: json_reply(200, self._faults_set(body(request)))),
            ("DELETE", r"/_sandbox/faults/", faults_delete),
            (
                "GET",
                r"/_sandbox/requests/",
                lambda request: json_reply(200, self.requests(request.params.get("path"))),
            ),
            ("DELETE", r"/_sandbox/requests/", requests_delete),
            ("GET", r"/_sandbox/push/", lambda request: json_reply(200, self.push_status())),
            ("POST", r"/_sandbox/push/", push_post),
            *cancellation_routes(self, body),
        ]
        return [(method, re.compile(path), handler, False) for method, path, handler in table]

    # API handlers

    def _api_login(self, request: Request) -> Reply:
        data = request.body if isinstance(request.body, dict) else {}
        return json_reply(200, {"key": self.store.login(data.get("username"), data.get("password"))})

    def _api_orders(self, request: Request) -> Reply:
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
        orders = self.store.orders(ids=ids, status=status, modified_gte=gte, modified_lte=lte)
        return self._page(request, orders)

    def _page(self, request: Request, items: list[dict[str, Any]]) -> Reply:
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
                (key, value)
                for key, value in parse_qsl(request.query, keep_blank_values=True)
                if key != "page"
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
