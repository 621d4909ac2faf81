"""`SandboxServer`: the sandbox's public face and its request log (routes: `oms.sandbox.routes`;
endpoints: `oms.sandbox`).

No Django.
"""

import logging
import threading
import time
from collections import deque
from datetime import UTC, datetime
from typing import Any, Self

from oms.sandbox.faults import FaultBoard
from oms.sandbox.push import PushConfig, Pusher
from oms.sandbox.routes import Route, api_routes, control_routes
from oms.sandbox.store import Store
from oms.sandbox.transport import Reply, Request, SandboxHTTPServer, html_reply, json_reply
from oms.sandbox.wire import SandboxError, wire_datetime

logger = logging.getLogger(__name__)

REQUEST_LOG_SIZE = 50_000
CONTROL_PREFIX = "/_sandbox/"


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
        self._api_routes = api_routes(self)
        self._control_routes = control_routes(self)

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

    def _dispatch(self, routes: list[Route], request: Request) -> Reply:
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
