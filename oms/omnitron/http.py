"""Helpers of the Omnitron client's HTTP transport: retryable failures, answers, TLS, timestamps."""

import functools
import ssl
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from oms.omnitron.errors import OmnitronAuthenticationFailed, OmnitronPayloadError

BODY_EXCERPT_CHARS = 300


class RetryableFailure(Exception):
    """One attempt failed in a way that is worth trying again."""

    def __init__(
        self, reason: str, *, status_code: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status_code = status_code
        self.retry_after = retry_after


def excerpt(response: httpx.Response) -> str:
    text = " ".join(response.text.split())
    if len(text) > BODY_EXCERPT_CHARS:
        return text[:BODY_EXCERPT_CHARS] + "..."
    return text or "(empty body)"


def body_of(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text


def retry_after_seconds(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


@functools.cache
def ssl_context() -> ssl.SSLContext:
    # Loading the CA bundle takes ~50 ms; one context is safely shared by every client.
    return httpx.create_ssl_context()


def iso(moment: datetime) -> str:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


def login_token(response: httpx.Response, *, call: str, path: str, base_url: str, username: str) -> str:
    """The token in a login answer; a refusal, an outage or an unreadable answer raises."""
    status = response.status_code
    if status == 429 or status >= 500:
        raise RetryableFailure(
            f"logging in ({call}) answered {status}: {excerpt(response)}",
            status_code=status,
            retry_after=retry_after_seconds(response),
        )
    if status in (400, 401, 403):
        raise OmnitronAuthenticationFailed(
            f"Omnitron {call} refused the credentials of user {username!r} at {base_url} "
            f"(answered {status}: {excerpt(response)}). Check the OMNITRON_CLIENT_SETTINGS "
            "application setting or OMNITRON_USERNAME/OMNITRON_PASSWORD.",
            method="POST",
            path=path,
            status_code=status,
            body=body_of(response),
        )
    if status != 200:
        raise OmnitronAuthenticationFailed(
            f"Omnitron {call} answered {status}: {excerpt(response)}. Check that {base_url} is "
            "the Omnitron base URL (OMNITRON_CLIENT_SETTINGS application setting or OMNITRON_URL).",
            method="POST",
            path=path,
            status_code=status,
            body=body_of(response),
        )
    try:
        key = response.json().get("key")
    except (ValueError, AttributeError):
        raise RetryableFailure(
            f"logging in ({call}) answered 200 with a body that is not a JSON object: {excerpt(response)}",
            status_code=status,
        ) from None
    if not isinstance(key, str) or not key:
        raise OmnitronPayloadError(
            f"Omnitron {call} answered without a token in `key`.",
            field="key",
            method="POST",
            path=path,
            status_code=status,
        )
    return key
