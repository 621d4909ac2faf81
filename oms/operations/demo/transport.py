"""The demo's HTTP side: OMS's API (as a logged-in staff user) and the sandbox's control endpoints."""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from oms.operations.demo.screen import Row, Screen

API = "/api/v1/oms"
REQUEST_TIMEOUT_SECONDS = 30.0


class DemoError(Exception):
    """A step of the demo failed; the message says what happened and what to do."""


@dataclass(frozen=True)
class DemoOptions:
    url: str = "http://127.0.0.1:8000"
    sandbox_url: str = "http://127.0.0.1:8100"
    username: str = "admin"
    password: str = ""
    orders: int = 3
    timeout: float = 120.0


def _error_text(response: httpx.Response) -> str:
    """OMS's error envelope (or the sandbox's DRF-style body) as one line."""
    try:
        data = response.json()
    except ValueError:
        text = " ".join(response.text.split())
        return text[:300] or "(empty body)"
    errors = data.get("error", data) if isinstance(data, dict) else data
    if isinstance(errors, dict):
        parts = []
        for key, value in errors.items():
            messages = value if isinstance(value, list) else [value]
            parts.append(f"{key}: {' '.join(str(message) for message in messages)}")
        return "; ".join(parts)
    return str(errors)[:300]


@dataclass
class DemoHttp:
    """Holds the demo's two HTTP clients, its clock and its rows; says what failed, and how."""

    options: DemoOptions
    screen: Screen
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    rows: list[Row] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.url = self.options.url.rstrip("/")
        self.sandbox_url = self.options.sandbox_url.rstrip("/")
        self.oms = httpx.Client(base_url=self.url, timeout=REQUEST_TIMEOUT_SECONDS)
        self.sandbox = httpx.Client(base_url=self.sandbox_url, timeout=REQUEST_TIMEOUT_SECONDS)
        self.started = self.clock()
        self.deadline = self.started + self.options.timeout
        self._hinted = False

    def close(self) -> None:
        self.oms.close()
        self.sandbox.close()

    # HTTP

    def _call(
        self,
        client: httpx.Client,
        method: str,
        path: str,
        *,
        what: str,
        json: Any = None,
        params: dict[str, Any] | None = None,
        expect: tuple[int, ...] = (200,),
    ) -> Any:
        base = self.url if client is self.oms else self.sandbox_url
        where = f"{method} {base}{path}"
        try:
            response = client.request(method, path, json=json, params=params)
        except httpx.HTTPError as exc:
            service = "OMS" if client is self.oms else "the Omnitron sandbox"
            raise DemoError(
                f"{what}: {where} failed ({type(exc).__name__}: {exc}). Is {service} running? "
                "Start it with `oms serve` (which also starts the sandbox when OMNITRON_URL is unset), "
                "or pass --url / --sandbox-url."
            ) from exc
        if response.status_code not in expect:
            raise DemoError(f"{what}: {where} answered {response.status_code}: {_error_text(response)}")
        return response.json() if response.content else None

    def _api(self, method: str, path: str, *, what: str, **kwargs: Any) -> Any:
        return self._call(self.oms, method, f"{API}{path}", what=what, **kwargs)

    def _control(self, method: str, path: str, *, what: str, **kwargs: Any) -> Any:
        return self._call(self.sandbox, method, f"/_sandbox{path}", what=what, **kwargs)

    def _first(self, path: str, params: dict[str, Any], what: str) -> dict[str, Any] | None:
        results = self._api("GET", path, what=what, params=params)["results"]
        return results[0] if results else None

    def _sandbox_record(self, kind: str, pk: int) -> dict[str, Any]:
        records = self._control("GET", f"/{kind}/", what=f"Reading the sandbox's {kind}")
        for record in records:
            if record.get("pk") == pk:
                return record
        raise DemoError(f"The sandbox at {self.sandbox_url} has no {kind[:-1].replace('_', ' ')} {pk}.")

    def _create_or_get(
        self, path: str, body: dict[str, Any], find: Callable[[], dict[str, Any] | None], what: str
    ) -> dict[str, Any]:
        """POST `body`; when it clashes with a row created meanwhile (sync, ingestion), that row."""
        try:
            return self._api("POST", path, what=what, json=body, expect=(201,))
        except DemoError:
            existing = find()
            if existing is None:
                raise
            return existing
