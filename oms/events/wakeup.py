"""Waking the event delivery worker after a commit (coalesced, like the reports to Omnitron)."""

import logging

from oms.core.wakeups import CoalescedWakeup

logger = logging.getLogger(__name__)

EVENT_WAKEUP_WINDOW_SECONDS = 0.5


def _send(countdown: float) -> None:
    from oms.events.tasks import deliver_events

    if countdown:
        deliver_events.apply_async(countdown=countdown)
    else:
        deliver_events.delay()


def _tasks_run_in_place() -> bool:
    from oms.celery import app

    return bool(app.conf.task_always_eager)


_wakeup = CoalescedWakeup(_send, window=EVENT_WAKEUP_WINDOW_SECONDS, eager=_tasks_run_in_place)


def wake_delivery() -> None:
    try:
        _wakeup()
    except Exception:
        # The events are due rows: the periodic delivery takes them even if this wake-up is lost.
        logger.warning("Could not wake event delivery; the periodic run will send the events", exc_info=True)
