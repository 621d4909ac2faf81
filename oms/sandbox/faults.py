"""Faults the sandbox injects into API requests (never into /_sandbox/ control requests)."""

import random
import threading
from dataclasses import dataclass, fields, replace
from typing import Any

from oms.sandbox.wire import invalid


@dataclass
class Faults:
    """The faults in force; the `*_next` counters go down as requests take them."""

    latency_ms: int = 0
    error_rate: float = 0.0
    error_status: int = 503
    fail_next: int = 0
    rate_limit_next: int = 0
    retry_after: int = 1
    drop_next: int = 0
    malformed_next: int = 0
    paths: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        """The faults as the control endpoint shows them."""
        return {
            "latency_ms": self.latency_ms,
            "error_rate": self.error_rate,
            "error_status": self.error_status,
            "fail_next": self.fail_next,
            "rate_limit_next": self.rate_limit_next,
            "retry_after": self.retry_after,
            "drop_next": self.drop_next,
            "malformed_next": self.malformed_next,
            "paths": list(self.paths),
        }

    def applies_to(self, path: str) -> bool:
        """Whether the faults apply to a request path (every path when `paths` is empty)."""
        return not self.paths or any(path.startswith(prefix) for prefix in self.paths)


@dataclass(frozen=True)
class FaultDecision:
    """What one API request gets: a delay, and at most one of drop / rate_limit / error."""

    latency_seconds: float
    action: str | None
    error_status: int
    retry_after: int


def _validated(name: str, value: Any) -> Any:
    if name == "error_rate":
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise invalid(name, "A number from 0 to 1 is required.")
        return float(value)
    if name == "error_status":
        if isinstance(value, bool) or not isinstance(value, int) or not 500 <= value <= 599:
            raise invalid(name, "A 5xx status code is required.")
        return value
    if name == "paths":
        value = [] if value is None else value
        if not isinstance(value, list) or not all(isinstance(prefix, str) and prefix for prefix in value):
            raise invalid(name, "A list of path prefixes is required.")
        return tuple(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise invalid(name, "A non-negative integer is required.")
    return value


class FaultBoard:
    """The faults in force, changed and taken under one lock."""

    def __init__(self) -> None:
        self._faults = Faults()
        self._lock = threading.Lock()
        self._random = random.Random()

    def set(self, data: Any) -> dict[str, Any]:
        """Validate and set the given faults (others are kept); returns all faults in force.

        `expire_tokens` is accepted and validated here, but acting on it is the caller's job.
        """
        if not isinstance(data, dict):
            raise invalid("non_field_errors", "The body must be a JSON object.")
        known = {field.name for field in fields(Faults)} | {"expire_tokens"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise invalid(
                "non_field_errors",
                f"Unknown faults: {', '.join(unknown)}. Known: {', '.join(sorted(known))}.",
            )
        if "expire_tokens" in data and not isinstance(data["expire_tokens"], bool):
            raise invalid("expire_tokens", "Must be true or false.")
        changes = {name: _validated(name, value) for name, value in data.items() if name != "expire_tokens"}
        with self._lock:
            self._faults = replace(self._faults, **changes)
            return self._faults.as_json()

    def clear(self) -> None:
        """Remove every fault."""
        with self._lock:
            self._faults = Faults()

    def as_json(self) -> dict[str, Any]:
        """The faults in force."""
        with self._lock:
            return self._faults.as_json()

    def take(self, path: str) -> FaultDecision:
        """The fault this API request gets; consumes one counter (drop, rate limit, fail, in order)."""
        with self._lock:
            faults = self._faults
            if not faults.applies_to(path):
                return FaultDecision(0.0, None, faults.error_status, faults.retry_after)
            action = None
            if faults.drop_next:
                faults.drop_next -= 1
                action = "drop"
            elif faults.rate_limit_next:
                faults.rate_limit_next -= 1
                action = "rate_limit"
            elif faults.fail_next:
                faults.fail_next -= 1
                action = "error"
            elif faults.error_rate and self._random.random() < faults.error_rate:
                action = "error"
            return FaultDecision(faults.latency_ms / 1000, action, faults.error_status, faults.retry_after)

    def take_malformed(self, path: str) -> bool:
        """Whether this 200 answer gets a broken body; consumes the counter."""
        with self._lock:
            if self._faults.malformed_next and self._faults.applies_to(path):
                self._faults.malformed_next -= 1
                return True
            return False
