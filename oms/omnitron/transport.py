"""The Omnitron client's transport: attempts, retries, deadlines and answers. HTTP only.

Retry policy: connect errors, timeouts, dropped connections, 429, 5xx and unreadable bodies are
retried with exponential backoff and full jitter (honouring `Retry-After`, capped at
`backoff_max`); other 4xx are not. A write whose outcome is ambiguous (it may have taken effect) is
never repeated here: `OmnitronOutcomeUnknown`. A 401 makes the client log in again once and repeat
the call once; that does not use up an attempt. Every call ends by its deadline (see `_expires`).
"""

import logging
import random
import time
from collections.abc import Callable, Iterator, Mapping
from types import TracebackType
from typing import Any, Self, TypeVar
from urllib.parse import parse_qsl, urlsplit

import httpx

from oms.core.budget import request_budget_expires
from oms.omnitron import mapping
from oms.omnitron.errors import (
    OmnitronAuthenticationFailed,
    OmnitronError,
    OmnitronNotConfigured,
    OmnitronNotFound,
    OmnitronOutcomeUnknown,
    OmnitronPayloadError,
    OmnitronRejected,
    OmnitronUnavailable,
)
from oms.omnitron.guard import transaction_guard
from oms.omnitron.http import (
    AttemptCallback,
    CallAttempt,
    RetryableFailure,
    body_of,
    excerpt,
    retry_after_seconds,
    ssl_context,
)
from oms.omnitron.login import TokenCache

# The client's logger: operators filter Omnitron traffic by this one name.
logger = logging.getLogger("oms.omnitron.client")

T = TypeVar("T")


class OmnitronTransport(TokenCache):
    """Sends calls to one Omnitron (base URL + credentials). Thread-safe; close it when done."""

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
        deadline: float | None = None,
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
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.deadline = deadline
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
        on_attempt: AttemptCallback | None = None,
        write: bool = False,
    ) -> Any:
        """Send one API call with login, re-login on 401 and retries; the parsed JSON answer.

        The whole call (attempts, backoff and Retry-After waits) ends by its deadline: the client's
        `deadline`, or the current request's budget (oms.core.budget) when that ends sooner. A write
        (`write`) whose outcome is ambiguous is not repeated: `OmnitronOutcomeUnknown`.
        """
        call = f"{method} {path}"
        transaction_guard(call)
        expires = self._expires()
        attempt = 0
        logged_in_again = False
        while True:
            attempt += 1
            timeout = self._attempt_timeout(call, method, path, expires, attempt)
            if on_attempt is not None:
                on_attempt(CallAttempt(attempt, method, path, finished=False))
            try:
                token = self._token(timeout)
                response = self._send(
                    method, path, params=params, json_body=json_body, token=token, timeout=timeout
                )
                if response.status_code == 401 and not logged_in_again:
                    logged_in_again = True
                    self._token_forget(token)
                    logger.info("Omnitron %s answered 401; logging in again and repeating once", call)
                    if on_attempt is not None:
                        on_attempt(CallAttempt(attempt, method, path, True, "refused", 401, False, "401"))
                    attempt -= 1  # logging in again is not a retry
                    continue
                answer = self._answer(call, method, path, response)
            except RetryableFailure as failure:
                if on_attempt is not None:
                    on_attempt(
                        CallAttempt(
                            attempt,
                            method,
                            path,
                            True,
                            "failed",
                            failure.status_code,
                            failure.ambiguous,
                            failure.reason,
                        )
                    )
                self._after_failure(call, method, path, attempt, failure, expires, write)
                continue
            except OmnitronError as exc:
                if on_attempt is not None:
                    on_attempt(
                        CallAttempt(attempt, method, path, True, "refused", exc.status_code, False, str(exc))
                    )
                raise
            if on_attempt is not None:
                on_attempt(CallAttempt(attempt, method, path, True, "answered", response.status_code))
            return answer

    def _expires(self) -> float | None:
        """When the call must end (time.monotonic()), or None when nothing limits it."""
        ends = [time.monotonic() + self.deadline] if self.deadline is not None else []
        budget = request_budget_expires()
        if budget is not None:
            ends.append(budget)
        return min(ends) if ends else None

    def _attempt_timeout(
        self, call: str, method: str, path: str, expires: float | None, attempt: int
    ) -> httpx.Timeout:
        """The timeouts of the next attempt, cut to the time left; `OmnitronUnavailable` if none is."""
        if expires is None:
            return httpx.Timeout(self.read_timeout, connect=self.connect_timeout)
        left = expires - time.monotonic()
        if left <= 0.05:
            raise OmnitronUnavailable(
                f"Omnitron {call} could not be answered within its deadline ({attempt - 1} attempt(s) made).",
                method=method,
                path=path,
                attempts=attempt - 1,
            )
        return httpx.Timeout(min(self.read_timeout, left), connect=min(self.connect_timeout, left))

    def _after_failure(
        self,
        call: str,
        method: str,
        path: str,
        attempt: int,
        failure: RetryableFailure,
        expires: float | None,
        write: bool,
    ) -> None:
        """Raise when the failed call ends here; else wait before the next attempt."""
        details: dict[str, Any] = {
            "method": method,
            "path": path,
            "status_code": failure.status_code,
            "attempts": attempt,
            "retry_after": failure.retry_after,
        }
        if write and failure.ambiguous:
            raise OmnitronOutcomeUnknown(
                f"Omnitron {call} may or may not have taken effect: {failure.reason}", **details
            ) from failure
        if attempt >= self.max_attempts:
            raise OmnitronUnavailable(
                f"Omnitron {call} failed after {attempt} attempt(s): {failure.reason}", **details
            ) from failure
        delay = self._backoff(attempt, failure.retry_after)
        if expires is not None and time.monotonic() + delay >= expires:
            raise OmnitronUnavailable(
                f"Omnitron {call} failed after {attempt} attempt(s) and its deadline leaves no time "
                f"to try again: {failure.reason}",
                **details,
            ) from failure
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
        timeout: httpx.Timeout | None = None,
    ) -> httpx.Response:
        headers = {"Authorization": f"Token {token}"} if token else None
        extra: dict[str, Any] = {"timeout": timeout} if timeout is not None else {}
        try:
            return self._http.request(method, path, params=params, json=json_body, headers=headers, **extra)
        except (httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ConnectError) as exc:
            # Never sent: Omnitron cannot have acted on it.
            raise RetryableFailure(f"{type(exc).__name__}: {exc}") from exc
        except httpx.TimeoutException as exc:
            raise RetryableFailure(f"timed out ({type(exc).__name__})", ambiguous=True) from exc
        except (httpx.NetworkError, httpx.RemoteProtocolError, httpx.ProxyError) as exc:
            raise RetryableFailure(f"{type(exc).__name__}: {exc}", ambiguous=True) from exc
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
                ambiguous=status != 429,
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
                ambiguous=True,
            ) from None
