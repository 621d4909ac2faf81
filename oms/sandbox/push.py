"""The sandbox's webhook: POST each newly created order to OMS from a background thread.

Retries connection errors, 429 and 5xx a few times with a short backoff, honouring `Retry-After`
(capped). Other answers are final. Stdlib only (no Django, no httpx) so the sandbox stays light.
"""

import json
import logging
import queue
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 4
BACKOFF_SECONDS = 0.2
RETRY_AFTER_CAP_SECONDS = 5.0
TIMEOUT_SECONDS = 10.0
DELIVERIES_KEPT = 200


@dataclass(frozen=True)
class PushConfig:
    url: str = ""
    token: str = ""
    enabled: bool = False


class Pusher:
    """Delivers pushed orders one at a time from a daemon thread; counts what happened."""

    def __init__(self, initial: PushConfig | None = None) -> None:
        self._initial = initial or PushConfig()
        self._config = self._initial
        self._lock = threading.Lock()
        self._queue: queue.Queue[tuple[PushConfig, dict[str, Any]] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._generation = 0
        self._reset_counters()

    def _reset_counters(self) -> None:
        self._sent = 0
        self._failed = 0
        self._skipped = 0
        self._attempts = 0
        self._last_error = ""
        self._deliveries: deque[dict[str, Any]] = deque(maxlen=DELIVERIES_KEPT)

    def configure(
        self, *, url: str | None = None, token: str | None = None, enabled: bool | None = None
    ) -> None:
        """Change the push target; fields left as None keep their value."""
        with self._lock:
            current = self._config
            self._config = PushConfig(
                url=current.url if url is None else url,
                token=current.token if token is None else token,
                enabled=current.enabled if enabled is None else enabled,
            )

    def reset(self) -> None:
        """Back to the initial configuration; pending pushes are dropped and counters zeroed."""
        with self._lock:
            self._config = self._initial
            self._generation += 1
            self._reset_counters()
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
            self._queue.task_done()

    def status(self) -> dict[str, Any]:
        """Configuration (token masked) and counters."""
        with self._lock:
            return {
                "url": self._config.url,
                "token": "********" if self._config.token else "",
                "enabled": self._config.enabled,
                "sent": self._sent,
                "failed": self._failed,
                "skipped": self._skipped,
                "attempts": self._attempts,
                "pending": self._queue.unfinished_tasks,
                "last_error": self._last_error,
                "deliveries": list(self._deliveries),
            }

    def order_created(self, order: dict[str, Any]) -> None:
        """Queue an order for pushing, or count it as skipped when pushing is off."""
        with self._lock:
            config = self._config
            if not (config.enabled and config.url):
                self._skipped += 1
                return
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="sandbox-push", daemon=True)
                self._thread.start()
        self._queue.put((config, order))

    def post(self, url: str, body: dict[str, Any], *, label: str) -> bool:
        """Queue any other body (e.g. a cancellation plan) for POSTing to `url` with the push token.

        Counted like pushed orders; `label` names it in the deliveries. False when pushing is off.
        """
        with self._lock:
            config = self._config
            if not config.enabled:
                self._skipped += 1
                return False
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="sandbox-push", daemon=True)
                self._thread.start()
        self._queue.put((PushConfig(url=url, token=config.token, enabled=True), {**body, "_label": label}))
        return True

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Wait until every queued push is delivered or given up; False on timeout."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)
        return True

    def stop(self) -> None:
        """Stop the delivery thread (pending pushes are dropped)."""
        if self._thread is not None and self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout=2)

    def _run(self) -> None:
        while True:
            entry = self._queue.get()
            try:
                if entry is None:
                    return
                with self._lock:
                    generation = self._generation
                self._deliver(*entry, generation=generation)
            finally:
                self._queue.task_done()

    def _deliver(self, config: PushConfig, order: dict[str, Any], *, generation: int) -> None:
        label = order.pop("_label", None)
        body = json.dumps(order).encode()
        error = ""
        status: int | None = None
        attempt = 0
        for attempt in range(1, MAX_ATTEMPTS + 1):
            retry_after: float | None = None
            request = urllib.request.Request(  # noqa: S310 (the URL is the configured http(s) target)
                config.url,
                data=body,
                method="POST",
                headers={"Content-Type": "application/json", "Authorization": f"Token {config.token}"},
            )
            try:
                with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
                    status = response.status
                    response.read()
                error = ""
            except urllib.error.HTTPError as exc:
                status = exc.code
                error = f"answered {exc.code}"
                retry_after = _retry_after(exc.headers.get("Retry-After"))
                exc.close()
            except (urllib.error.URLError, OSError) as exc:
                status = None
                error = f"{type(exc).__name__}: {exc}"
            self._count(generation, attempts=1)
            retryable = status is None or status == 429 or status >= 500
            if not error or not retryable or attempt == MAX_ATTEMPTS:
                break
            time.sleep(
                min(retry_after, RETRY_AFTER_CAP_SECONDS)
                if retry_after is not None
                else BACKOFF_SECONDS * 2 ** (attempt - 1)
            )
        delivery = {
            "order": order["pk"] if label is None else label,
            "url": config.url,
            "status": status,
            "attempts": attempt,
            "error": error,
        }
        if error:
            logger.warning("Sandbox push of %s to %s failed: %s", label or order["pk"], config.url, error)
        self._count(
            generation, sent=0 if error else 1, failed=1 if error else 0, delivery=delivery, error=error
        )

    def _count(
        self,
        generation: int,
        *,
        attempts: int = 0,
        sent: int = 0,
        failed: int = 0,
        delivery: dict[str, Any] | None = None,
        error: str = "",
    ) -> None:
        with self._lock:
            if generation != self._generation:
                return  # a reset happened while this push was in flight
            self._attempts += attempts
            self._sent += sent
            self._failed += failed
            if error:
                self._last_error = f"order {delivery['order'] if delivery else '?'}: {error}"
            if delivery is not None:
                self._deliveries.append(delivery)


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
