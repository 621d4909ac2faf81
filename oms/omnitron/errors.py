"""Errors of the Omnitron client.

`OmnitronUnavailable` means "try again later" (connect errors, timeouts, 429, 5xx, unreadable
bodies, or no time left within the call's deadline); `OmnitronOutcomeUnknown` is the kind of it a
write raises when it was sent but nobody knows whether it took effect; `OmnitronRejected` means
Omnitron said no and repeating the call will not help; `OmnitronAuthenticationFailed` means the
credentials need fixing. Every message names the call (method and path) and what Omnitron answered.
"""

from typing import Any


class OmnitronError(Exception):
    """Base class of everything the Omnitron client raises."""

    def __init__(
        self,
        message: str,
        *,
        method: str | None = None,
        path: str | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.method = method
        self.path = path
        self.status_code = status_code


class OmnitronNotConfigured(OmnitronError):
    """Neither the OMNITRON_CLIENT_SETTINGS application setting nor OMNITRON_* settings are set."""


class OmnitronUnavailable(OmnitronError):
    """Omnitron could not be reached or answered with something worth retrying later.

    Raised after the client's own retries are used up. `retry_after` is the server's
    `Retry-After` in seconds when it sent one.
    """

    def __init__(
        self,
        message: str,
        *,
        method: str | None = None,
        path: str | None = None,
        status_code: int | None = None,
        attempts: int = 1,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, method=method, path=path, status_code=status_code)
        self.attempts = attempts
        self.retry_after = retry_after


class OmnitronOutcomeUnknown(OmnitronUnavailable):
    """A write may or may not have taken effect: it was sent, and no readable answer came back.

    A read timeout, a connection dropped after sending, a 5xx, or a 200 whose body cannot be read.
    The client does not repeat such a write; the caller finds out what Omnitron has (reads it)
    before it sends again.
    """


class OmnitronRejected(OmnitronError):
    """Omnitron refused the call with a 4xx answer (other than 429); retrying will not help."""

    status_code: int

    def __init__(self, message: str, *, method: str, path: str, status_code: int, body: Any) -> None:
        super().__init__(message, method=method, path=path, status_code=status_code)
        self.body = body


class OmnitronNotFound(OmnitronRejected):
    """Omnitron answered 404 for the resource."""


class OmnitronAuthenticationFailed(OmnitronError):
    """Omnitron refused the configured credentials, or a 401 persisted after logging in again.

    Not an `OmnitronRejected`: the call itself was not refused, and it can succeed once an operator
    fixes the credentials, so work waiting on it (e.g. the outbox) should be kept and retried.
    """

    def __init__(self, message: str, *, method: str, path: str, status_code: int, body: Any) -> None:
        super().__init__(message, method=method, path=path, status_code=status_code)
        self.body = body


class OmnitronPayloadError(OmnitronError):
    """Omnitron answered JSON that does not have the shape of the contract.

    `field` is the path of the offending field, e.g. `orderitem_set[2].pk`.
    """

    def __init__(self, message: str, *, field: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.field = field
