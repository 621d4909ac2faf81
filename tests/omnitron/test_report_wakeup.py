"""Coalesced wake-ups of the report delivery worker (oms.core.wakeups.CoalescedWakeup)."""

import pytest

from oms.core.wakeups import CLOCK_MARGIN_SECONDS, CoalescedWakeup

WINDOW = 0.5


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sent() -> list[tuple[float, float]]:
    return []


@pytest.fixture
def wakeup(clock, sent) -> CoalescedWakeup:
    return CoalescedWakeup(lambda countdown: sent.append((clock.now, countdown)), window=WINDOW, clock=clock)


def _runs_at(sent) -> list[float]:
    return [at + countdown for at, countdown in sent]


def test_the_first_commit_after_a_quiet_spell_wakes_the_worker_at_once(wakeup, clock, sent):
    assert wakeup() == 0.0
    clock.now += 60
    assert wakeup() == 0.0

    assert [countdown for _, countdown in sent] == [0.0, 0.0]


def test_every_commit_of_a_burst_is_seen_by_a_wakeup_that_runs_after_it(wakeup, clock, sent):
    commits = []
    for _ in range(400):  # 400 commits, 5 ms apart: 2 s of steady load
        clock.now += 0.005
        commits.append(clock.now)
        wakeup()

    runs = _runs_at(sent)
    # Far fewer messages than commits ...
    assert len(sent) <= 2 / (WINDOW - CLOCK_MARGIN_SECONDS) + 2
    # ... and each commit is followed by a wake-up running after it (allowing the clock margin).
    for committed in commits:
        assert any(run >= committed + CLOCK_MARGIN_SECONDS - 1e-9 for run in runs), committed
    # No wake-up is later than one window after the commit it serves.
    for committed in commits:
        first = min(run for run in runs if run >= committed)
        assert first - committed <= WINDOW + 1e-9


def test_a_failed_send_leaves_the_next_commit_to_send_again(clock, sent):
    calls = []

    def send(countdown: float) -> None:
        calls.append(countdown)
        if len(calls) == 1:
            raise ConnectionError("broker down")

    wakeup = CoalescedWakeup(send, window=WINDOW, clock=clock)
    with pytest.raises(ConnectionError):
        wakeup()
    clock.now += 0.01

    assert wakeup() is not None
    assert len(calls) == 2


def test_tasks_run_in_place_are_woken_on_every_commit(clock, sent):
    wakeup = CoalescedWakeup(
        lambda countdown: sent.append((clock.now, countdown)), window=WINDOW, clock=clock, eager=lambda: True
    )
    for _ in range(5):
        wakeup()

    assert [countdown for _, countdown in sent] == [0.0] * 5
