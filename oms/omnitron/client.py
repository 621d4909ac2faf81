"""HTTP client for Omnitron: token login, retries with backoff, pagination. HTTP only.

The wire format is docs/omnitron-contract.md; JSON is turned into typed values by
`oms.omnitron.mapping`. Retry policy: connect errors, timeouts, dropped connections, 429, 5xx and
unreadable bodies are retried with exponential backoff and full jitter (honouring `Retry-After`,
capped at `backoff_max`); other 4xx are not. A 401 makes the client log in again once and repeat the
call once; that does not use up an attempt. A login Omnitron refuses raises
`OmnitronAuthenticationFailed`. Tokens are cached per (base URL, username) for the whole process,
so every client instance shares one login.
"""

import hashlib
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self, TypeVar
from urllib.parse import parse_qsl, urlsplit

import httpx

from oms.omnitron import mapping
from oms.omnitron.connection import connection_settings
from oms.omnitron.errors import (
    OmnitronAuthenticationFailed,
    OmnitronError,
    OmnitronNotConfigured,
    OmnitronNotFound,
    OmnitronPayloadError,
    OmnitronRejected,
    OmnitronUnavailable,
)
from oms.omnitron.guard import transaction_guard
from oms.omnitron.http import (
    RetryableFailure,
    body_of,
    excerpt,
    iso,
    login_token,
    retry_after_seconds,
    ssl_context,
)
from oms.omnitron.types import OmnitronCargoCompany, OmnitronChannel, OmnitronOrder, OmnitronOrderItem

logger = logging.getLogger(__name__)

LOGIN_PATH = "/api/v1/auth/login/"
ORDERS_PATH = "/api/v1/orders/"
CHANNELS_PATH = "/api/v1/channels/"
CARGO_COMPANIES_PATH = "/api/v1/cargo_companies/"
ORDER_ITEMS_PATH = "/api/v1/order_items/"
BULK_STATUS_PATH = "/api/i1/order_items/bulk_status_update/"
MAX_PAGE_SIZE = 500

T = TypeVar("T")


class OmnitronClient:
    """A client of one Omnitron (base URL + credentials). Thread-safe; close it when done."""

    _token_cache: dict[tuple[str, str, str], str] = {}
    _token_locks: dict[tuple[str, str, str], threading.Lock] = {}
    _token_cache_lock = threading.Lock()

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        *,
        connect_timeout: float = 5,
        read_timeout: float = 15,
        max_attempts: int = 4,
        backoff_base: float = 0.5,
        backoff_max: float = 8,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not base_url:
            raise OmnitronNotConfigured("OmnitronClient needs the Omnitron base URL.")
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1.")
        self.base_url = base_url.rstrip("/")
        self.username = username
        self._password = password
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self._sleep = sleep
        self._random = random.Random()
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=httpx.Timeout(read_timeout, connect=connect_timeout),
            headers={
                "Accept": "application/json",
                "Content-Type": "application/json",
                "User-Agent": "oms-omnitron-client",
            },
            follow_redirects=False,
            verify=ssl_context(),
        )

    def __repr__(self) -> str:
        return f"OmnitronClient({self.base_url!r}, username={self.username!r})"

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the client's HTTP connections (the cached token stays for other instances)."""
        self._http.close()

    @classmethod
    def token_cache_clear(cls) -> None:
        """Forget every cached token (tests use it to start from a fresh login)."""
        with cls._token_cache_lock:
            cls._token_cache.clear()

    # Orders

    def order_get(self, pk: int) -> OmnitronOrder:
        """One order; `OmnitronNotFound` when Omnitron does not have it."""
        path = f"{ORDERS_PATH}{int(pk)}/"
        data = self._call("GET", path)
        return self._mapped("GET", path, mapping.order_from_json, data)

    def orders_get_many(self, ids: Iterable[int]) -> list[OmnitronOrder]:
        """The orders with these ids, read 500 ids per request; ids Omnitron lacks are absent."""
        unique = list(dict.fromkeys(int(pk) for pk in ids))
        orders: list[OmnitronOrder] = []
        for start in range(0, len(unique), MAX_PAGE_SIZE):
            chunk = unique[start : start + MAX_PAGE_SIZE]
            params = {"id__in": ",".join(str(pk) for pk in chunk), "limit": str(MAX_PAGE_SIZE)}
            for results in self._pages(ORDERS_PATH, params):
                orders.extend(self._mapped_each(ORDERS_PATH, mapping.order_from_json, results))
        return orders

    def orders_iter(
        self,
        status: int | None = None,
        modified_since: datetime | None = None,
        modified_until: datetime | None = None,
        page_size: int = 100,
    ) -> Iterator[OmnitronOrder]:
        """Orders ordered by modified date then pk, following `next` page by page.

        Sends `modified_date__gte`/`modified_date__lte`, and also stops at the first order modified
        after `modified_until` (in case the server ignores the upper bound). Naive datetimes are UTC.
        Pages are numbered, so an order modified while the iteration runs may move between pages:
        callers that need completeness keep a watermark and read again from it.
        """
        params: dict[str, str] = {"limit": str(min(max(int(page_size), 1), MAX_PAGE_SIZE))}
        if status is not None:
            params["status"] = mapping.status_to_wire(status)
        if modified_since is not None:
            params["modified_date__gte"] = iso(modified_since)
        if modified_until is not None:
            params["modified_date__lte"] = iso(modified_until)
            if modified_until.tzinfo is None:
                modified_until = modified_until.replace(tzinfo=UTC)
        for results in self._pages(ORDERS_PATH, params):
            for order in self._mapped_each(ORDERS_PATH, mapping.order_from_json, results):
                if modified_until is not None and order.modified_date > modified_until:
                    return
                yield order

    # Channels and cargo companies

    def channel_get(self, pk: int) -> OmnitronChannel:
        """One channel; `OmnitronNotFound` when Omnitron does not have it."""
        path = f"{CHANNELS_PATH}{int(pk)}/"
        return self._mapped("GET", path, mapping.channel_from_json, self._call("GET", path))

    def channels_list(self) -> list[OmnitronChannel]:
        """Every channel, all pages."""
        channels: list[OmnitronChannel] = []
        for results in self._pages(CHANNELS_PATH, {"limit": str(MAX_PAGE_SIZE)}):
            channels.extend(self._mapped_each(CHANNELS_PATH, mapping.channel_from_json, results))
        return channels

    def cargo_company_get(self, pk: int) -> OmnitronCargoCompany:
        """One cargo company; `OmnitronNotFound` when Omnitron does not have it."""
        path = f"{CARGO_COMPANIES_PATH}{int(pk)}/"
        return self._mapped("GET", path, mapping.cargo_company_from_json, self._call("GET", path))

    def cargo_companies_list(self) -> list[OmnitronCargoCompany]:
        """Every cargo company, all pages."""
        companies: list[OmnitronCargoCompany] = []
        for results in self._pages(CARGO_COMPANIES_PATH, {"limit": str(MAX_PAGE_SIZE)}):
            companies.extend(
                self._mapped_each(CARGO_COMPANIES_PATH, mapping.cargo_company_from_json, results)
            )
        return companies

    # Order item statuses

    def order_items_status_update(self, statuses: Mapping[int, int]) -> dict[int, int]:
        """Set many order items' statuses in one all-or-nothing call; returns what Omnitron answered.

        `OmnitronRejected` (400) when Omnitron refuses any item; then it changed nothing.
        """
        if not statuses:
            return {}
        data = self._call("PATCH", BULK_STATUS_PATH, json_body=mapping.bulk_status_payload(statuses))
        return self._mapped("PATCH", BULK_STATUS_PATH, mapping.bulk_status_from_json, data)

    def order_item_status_update(self, pk: int, status: int) -> OmnitronOrderItem:
        """Set one order item's status; returns the item as Omnitron answered it."""
        path = f"{ORDER_ITEMS_PATH}{int(pk)}/"
        data = self._call("PATCH", path, json_body=mapping.item_status_payload(status))
        return self._mapped("PATCH", path, mapping.order_item_from_json, data)

    # Transport

    def _mapped(self, method: str, path: str, reader: Callable[[Any], T], data: Any) -> T:
        try:
            return reader(data)
        except OmnitronPayloadError as exc:
            raise OmnitronPayloadError(
                f"Omnitron {method} {path} answered JSON OMS cannot read: {exc.message}",
                field=exc.field,
                method=method,
                path=path,
                status_code=200,
            ) from exc

    def _mapped_each(self, path: str, reader: Callable[[Any], T], results: list[Any]) -> list[T]:
        values: list[T] = []
        for index, data in enumerate(results):
            try:
                values.append(reader(data))
            except OmnitronPayloadError as exc:
                field = f"results[{index}].{exc.field}"
                raise OmnitronPayloadError(
                    f"Omnitron GET {path} answered JSON OMS cannot read at results[{index}]: {exc.message}",
                    field=field,
                    method="GET",
                    path=path,
                    status_code=200,
                ) from exc
        return values

    def _pages(self, path: str, params: Mapping[str, str]) -> Iterator[list[Any]]:
        """The `results` of each page of a list, following `next` until it is null.

        `next` is taken for its query only and sent to the same path, so an Omnitron behind a proxy
        that reports another host name in `next` is still followed.
        """
        current = dict(params)
        while True:
            data = self._call("GET", path, params=current)
            results, next_url = self._mapped("GET", path, mapping.page_from_json, data)
            yield results
            if not next_url:
                return
            following = dict(parse_qsl(urlsplit(next_url).query, keep_blank_values=True))
            if following == current:
                raise OmnitronError(
                    f"Omnitron GET {path} answered a `next` that points to the same page: {next_url}",
                    method="GET",
                    path=path,
                )
            current = following

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
    ) -> Any:
        """Send one API call with login, re-login on 401 and retries; the parsed JSON answer."""
        call = f"{method} {path}"
        transaction_guard(call)
        attempt = 0
        logged_in_again = False
        while True:
            attempt += 1
            try:
                token = self._token()
                response = self._send(method, path, params=params, json_body=json_body, token=token)
                if response.status_code == 401 and not logged_in_again:
                    logged_in_again = True
                    self._token_forget(token)
                    attempt -= 1  # logging in again is not a retry
                    logger.info("Omnitron %s answered 401; logging in again and repeating once", call)
                    continue
                return self._answer(call, method, path, response)
            except RetryableFailure as failure:
                if attempt >= self.max_attempts:
                    raise OmnitronUnavailable(
                        f"Omnitron {call} failed after {attempt} attempt(s): {failure.reason}",
                        method=method,
                        path=path,
                        status_code=failure.status_code,
                        attempts=attempt,
                        retry_after=failure.retry_after,
                    ) from failure
                delay = self._backoff(attempt, failure.retry_after)
                logger.warning(
                    "Omnitron %s failed (attempt %d of %d): %s; retrying in %.2f s",
                    call,
                    attempt,
                    self.max_attempts,
                    failure.reason,
                    delay,
                )
                self._sleep(delay)

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.backoff_max)
        return self._random.uniform(0, min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1)))

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
        token: str | None = None,
    ) -> httpx.Response:
        headers = {"Authorization": f"Token {token}"} if token else None
        try:
            return self._http.request(method, path, params=params, json=json_body, headers=headers)
        except httpx.TimeoutException as exc:
            raise RetryableFailure(f"timed out ({type(exc).__name__})") from exc
        except (httpx.NetworkError, httpx.RemoteProtocolError, httpx.ProxyError) as exc:
            raise RetryableFailure(f"{type(exc).__name__}: {exc}") from exc
        except (httpx.UnsupportedProtocol, httpx.LocalProtocolError, httpx.InvalidURL) as exc:
            raise OmnitronError(
                f"Omnitron {method} {path} could not be sent to {self.base_url}: {exc}",
                method=method,
                path=path,
            ) from exc

    def _answer(self, call: str, method: str, path: str, response: httpx.Response) -> Any:
        status = response.status_code
        if status == 429 or status >= 500:
            raise RetryableFailure(
                f"answered {status}: {excerpt(response)}",
                status_code=status,
                retry_after=retry_after_seconds(response),
            )
        if not 200 <= status < 300:
            if status == 401:
                self._token_forget(response.request.headers.get("Authorization", "")[len("Token ") :])
                raise OmnitronAuthenticationFailed(
                    f"Omnitron {call} answered 401 even after logging in again as {self.username!r}: "
                    f"{excerpt(response)}",
                    method=method,
                    path=path,
                    status_code=status,
                    body=body_of(response),
                )
            error_class = OmnitronNotFound if status == 404 else OmnitronRejected
            message = f"Omnitron {call} answered {status}: {excerpt(response)}"
            raise error_class(message, method=method, path=path, status_code=status, body=body_of(response))
        if status == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise RetryableFailure(
                f"answered {status} with a body that is not JSON: {excerpt(response)}",
                status_code=status,
            ) from None

    # Tokens

    def _cache_key(self) -> tuple[str, str, str]:
        # The password's digest is part of the key: changed credentials never reuse an old token.
        return (self.base_url, self.username, hashlib.sha256(self._password.encode()).hexdigest())

    def _token(self) -> str:
        key = self._cache_key()
        token = self._token_cache.get(key)
        if token:
            return token
        with self._token_cache_lock:
            lock = self._token_locks.setdefault(key, threading.Lock())
        # One login per (Omnitron, user) at a time: concurrent callers wait and share its token.
        with lock:
            token = self._token_cache.get(key)
            if token:
                return token
            token = self._login()
            with self._token_cache_lock:
                self._token_cache[key] = token
            return token

    def _token_forget(self, token: str) -> None:
        key = self._cache_key()
        with self._token_cache_lock:
            if self._token_cache.get(key) == token:
                del self._token_cache[key]

    def _login(self) -> str:
        call = f"POST {LOGIN_PATH}"
        try:
            response = self._send(
                "POST", LOGIN_PATH, json_body={"username": self.username, "password": self._password}
            )
        except RetryableFailure as failure:
            raise RetryableFailure(f"logging in ({call}): {failure.reason}") from failure
        key = login_token(
            response, call=call, path=LOGIN_PATH, base_url=self.base_url, username=self.username
        )
        logger.debug("Logged in to Omnitron at %s as %s", self.base_url, self.username)
        return key


def omnitron_client_get(**options: Any) -> OmnitronClient:
    """A client for the configured Omnitron (the caller closes it, or uses it as a context manager).

    The URL and credentials come from `oms.omnitron.connection` (the OMNITRON_CLIENT_SETTINGS
    application setting when set, else the Django settings OMNITRON_URL, OMNITRON_USERNAME and
    OMNITRON_PASSWORD). `options` are passed to `OmnitronClient` (timeouts, retries). Raises
    `OmnitronNotConfigured`.
    """
    # Imported here so that the transport above needs no Django (the sandbox and benchmarks use it).
    from django.conf import settings

    connection = connection_settings()
    missing = [
        name
        for name, value in (
            ("url", connection.url),
            ("username", connection.username),
            ("password", connection.password),
        )
        if not value
    ]
    if missing:
        raise OmnitronNotConfigured(
            f"Omnitron is not configured: {', '.join(missing)} missing in {connection.source}. Set the "
            'application setting OMNITRON_CLIENT_SETTINGS to {"url": ..., "username": ..., "password": '
            "...}, or the environment variables OMNITRON_URL, OMNITRON_USERNAME and OMNITRON_PASSWORD."
        )
    client_options: dict[str, Any] = {**getattr(settings, "OMNITRON_CLIENT_OPTIONS", {}), **options}
    return OmnitronClient(connection.url, connection.username, connection.password, **client_options)
