"""The one place where Omnitron's errors become OMS errors.

Services that must ask Omnitron while serving a request call `omnitron_ask`: it opens a port,
makes the call, closes the port, and turns `OmnitronNotFound`, `OmnitronUnavailable` and every
other `OmnitronError` into `oms.core.errors` errors with the caller's wording (a 400 naming the
field, or a 503 with `Retry-After`); the caller words unavailability and failure from what the
client said.
"""

from collections.abc import Callable
from typing import TypeVar, overload

from oms.core.errors import DomainError, ServiceUnavailable
from oms.omnitron.errors import OmnitronError, OmnitronNotFound, OmnitronUnavailable
from oms.omnitron.ports import OmnitronPort, OmnitronPortFactory

T = TypeVar("T")
# Words a failure for the caller, given what the client said.
Wording = Callable[[OmnitronError], str]

# Seconds a caller is told to wait when Omnitron is unavailable and sent no Retry-After.
RETRY_AFTER_DEFAULT = 30


def retry_after_of(error: OmnitronUnavailable) -> int:
    """The whole seconds to wait after an outage: Omnitron's Retry-After, else the default."""
    return max(int(error.retry_after or RETRY_AFTER_DEFAULT), 1)


@overload
def omnitron_ask(
    call: Callable[[OmnitronPort], T],
    *,
    client_factory: OmnitronPortFactory,
    field: str,
    not_found: str,
    unavailable: Wording,
    failed: Wording,
) -> T: ...


@overload
def omnitron_ask(
    call: Callable[[OmnitronPort], T],
    *,
    client_factory: OmnitronPortFactory,
    field: str,
    not_found: None,
    unavailable: Wording,
    failed: Wording,
) -> T | None: ...


def omnitron_ask(
    call: Callable[[OmnitronPort], T],
    *,
    client_factory: OmnitronPortFactory,
    field: str,
    not_found: str | None,
    unavailable: Wording,
    failed: Wording,
) -> T | None:
    """`call(port)` on a fresh port; Omnitron's errors raised as OMS errors.

    - `OmnitronNotFound`: a `DomainError` on `field` saying `not_found`, or None when `not_found`
      is None (the caller takes "Omnitron does not have it" as an answer).
    - `OmnitronUnavailable`: `ServiceUnavailable` worded `unavailable`, with Omnitron's Retry-After.
    - any other `OmnitronError` (refused, unreadable, not configured): a `DomainError` on `field`
      worded `failed`.
    """
    try:
        port = client_factory()
        try:
            return call(port)
        finally:
            port.close()
    except OmnitronNotFound:
        if not_found is None:
            return None
        raise DomainError(not_found, field=field) from None
    except OmnitronUnavailable as exc:
        raise ServiceUnavailable(unavailable(exc), retry_after=retry_after_of(exc)) from exc
    except OmnitronError as exc:
        raise DomainError(failed(exc), field=field) from exc
