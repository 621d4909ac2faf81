"""A subscription's retry schedule (`retry_countdown_config`) and its circuit breaker."""

import random
from datetime import timedelta

from django.conf import settings

SCHEDULE_TYPES = ("fixed", "linear", "exponential")
DEFAULT_SCHEDULE = {"type": "exponential", "countdown": 10, "max_retries": 8, "jitter": True}
MAX_COUNTDOWN_SECONDS = 24 * 3600
MAX_RETRIES = 50
# No single wait between tries is longer than this, whatever the schedule.
RETRY_CAP_SECONDS = 6 * 3600


def schedule_of(config: dict | None) -> dict:
    """The schedule a subscription's (validated) config means, with the defaults filled in."""
    return {**DEFAULT_SCHEDULE, **(config or {})}


def retry_delay(config: dict | None, retry: int) -> timedelta:
    """The wait before the `retry`-th retry (1-based)."""
    schedule = schedule_of(config)
    base = float(schedule["countdown"])
    if schedule["type"] == "fixed":
        seconds = base
    elif schedule["type"] == "linear":
        seconds = base * retry
    else:
        seconds = base * 2 ** (retry - 1)
    seconds = min(seconds, RETRY_CAP_SECONDS)
    if schedule.get("jitter"):
        # Up to a quarter more, so receivers coming back are not hit by every retry at once.
        seconds += random.uniform(0, seconds / 4)
    return timedelta(seconds=seconds)


def max_attempts(config: dict | None) -> int:
    """Tries in all: the first and `max_retries` retries; then the event is dead-lettered."""
    return 1 + int(schedule_of(config)["max_retries"])


def breaker_threshold() -> int:
    return settings.OMS_WEBHOOK_BREAKER_THRESHOLD


def breaker_cool_down(failures: int) -> timedelta:
    """How long the breaker stays open after `failures` failed attempts in a row (doubling)."""
    extra = max(failures - breaker_threshold(), 0)
    seconds = settings.OMS_WEBHOOK_BREAKER_COOL_DOWN_SECONDS * 2 ** min(extra, 16)
    return timedelta(seconds=min(seconds, settings.OMS_WEBHOOK_BREAKER_COOL_DOWN_MAX_SECONDS))
