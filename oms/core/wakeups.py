"""Waking a worker after commits without sending one broker message per commit."""

import threading
import time
from collections.abc import Callable

# A wake-up sent for a moment at most this much later than a commit still counts as seeing it.
# Covers clock differences between the web and worker machines (Celery compares the countdown's
# ETA with the worker's clock).
CLOCK_MARGIN_SECONDS = 0.1


class CoalescedWakeup:
    """Wake a worker after a commit, at most about once per `window` seconds in this process.

    The first commit after a quiet spell wakes the worker at once. Commits that follow within the
    window share one wake-up sent with a countdown to the window's end: Celery runs it no earlier,
    so the run sees every row those commits wrote. Under steady load that is about 1/window
    messages per second per process instead of one per commit. A wake-up lost on the way delays
    the work until the periodic run, which takes every due row; nothing depends on it.
    """

    def __init__(
        self,
        send: Callable[[float], None],
        *,
        window: float,
        eager: Callable[[], bool] = lambda: False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._send = send
        self._window = window
        self._eager = eager
        self._clock = clock
        self._lock = threading.Lock()
        self._due = float("-inf")  # when the last wake-up sent from this process runs

    def __call__(self) -> float | None:
        """Wake the worker if no wake-up already due covers this moment. Returns the countdown sent."""
        if self._eager():  # tasks run in place (tests): a countdown means nothing there
            self._send(0.0)
            return 0.0
        with self._lock:
            now = self._clock()
            if now < self._due - CLOCK_MARGIN_SECONDS:
                return None
            countdown = 0.0 if now >= self._due + self._window else self._window
            self._due = now + countdown
        try:
            self._send(countdown)
        except BaseException:
            with self._lock:  # nothing is on its way: the next commit must send again
                self._due = float("-inf")
            raise
        return countdown
