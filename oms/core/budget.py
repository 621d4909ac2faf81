"""The time budget of the request being served: what is left of it, for calls that may wait.

Gunicorn kills a worker whose request runs past its `--timeout` and the client gets an HTML 500.
`RequestBudgetMiddleware` (oms.core.middleware) opens a budget of OMNITRON_REQUEST_DEADLINE_SECONDS
when a request arrives; a network client (the Omnitron client) gives up by the budget's end, so the
view can still answer 503 with Retry-After well before the web server's timeout. Outside a request
(Celery tasks, commands) there is no budget and the caller's own deadline applies.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

# When the current request's budget ends (time.monotonic()), or None outside a request.
_expires: ContextVar[float | None] = ContextVar("oms_request_budget_expires", default=None)


@contextmanager
def request_budget(seconds: float) -> Iterator[None]:
    """Run the block with a budget of `seconds` (an outer, shorter budget still applies)."""
    expires = time.monotonic() + seconds
    outer = _expires.get()
    if outer is not None:
        expires = min(expires, outer)
    token = _expires.set(expires)
    try:
        yield
    finally:
        _expires.reset(token)


def request_budget_expires() -> float | None:
    """When the current budget ends (a time.monotonic() value), or None when there is none."""
    return _expires.get()
