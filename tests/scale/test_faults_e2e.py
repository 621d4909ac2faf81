"""The scaled layout's scenario while Omnitron misbehaves and a worker dies (SLOW).

The same processes and traffic as `test_scaled_layout.py` (fewer orders), while the sandbox keeps
injecting faults into OMS's calls: first an outage of the report endpoint longer than the
client's retries (some reports fail and are sent again from the outbox), then, over and over,
5xx bursts, 429 with Retry-After, dropped connections, malformed JSON, expired tokens and
answers slower than the client's read timeout (OMNITRON_READ_TIMEOUT=2 s, 3 s of latency). And
one Celery worker is SIGKILLed mid-run, while it holds claimed shipments, and replaced. On the
embedded SQLite broker, a message in flight in the killed worker is lost; that costs nothing,
because pending work is rows: the claims it left are taken by another worker once their lease
(20 s here, OMS_*_CLAIM_LEASE_SECONDS) ends.

The books must balance as without faults; only the wire may carry an item's 450 more than once
(a request Omnitron applied but whose answer the client never read is sent again).
"""

import time

import pytest

from tests.scale.scenario import (
    BULK_STATUS_PATH,
    FaultCycler,
    FaultStep,
    Scenario,
    WorkerKiller,
    books_check,
    deployment_start,
    fault_proof,
    log,
    on_postgres,
    scenario_run,
    settle,
)

pytestmark = pytest.mark.slow

READ_TIMEOUT_SECONDS = 2
LATENCY_MS = 3000
SETTLE_TIMEOUT_SECONDS = 90
CLAIM_LEASE_SECONDS = 20
# After a lease ends, the next resolution run (every second) takes the rows; a failed batch or an
# open breaker on the way delays that by a few seconds (short retry and cool-down here).
PICKUP_SLACK_SECONDS = 40


@pytest.mark.django_db(transaction=True)
def test_the_books_balance_under_omnitron_faults_and_a_killed_worker(make_layout, scale_sandbox):
    started = time.monotonic()
    layout = make_layout(
        OMNITRON_READ_TIMEOUT=str(READ_TIMEOUT_SECONDS),
        OMNITRON_CONNECT_TIMEOUT="2",
        # Rows a killed worker had claimed are due again when their lease ends (minutes by default).
        OMS_TRACKING_CLAIM_LEASE_SECONDS=str(CLAIM_LEASE_SECONDS),
        OMS_REPORT_CLAIM_LEASE_SECONDS=str(CLAIM_LEASE_SECONDS),
        # Seconds, not minutes, before a failed resolution batch is retried or an open breaker probes.
        OMS_TRACKING_FAILURE_RETRY_SECONDS="5",
        OMS_TRACKING_BREAKER_COOL_DOWN_SECONDS="5",
        OMS_TRACKING_BREAKER_COOL_DOWN_MAX_SECONDS="10",
    )
    deployment = deployment_start(layout)
    ready = time.monotonic() - started
    log(f"{len(layout.children)} processes ready in {ready:.1f} s")

    # Longer than the client's retries (4 attempts, backoff up to 3.5 s in all), on the report path.
    outage = FaultStep(
        "report endpoint outage", {"error_rate": 1.0, "paths": [BULK_STATUS_PATH]}, hold_after_first_hit=5
    )
    faults = FaultCycler(scale_sandbox, latency_ms=LATENCY_MS, outage=outage)
    # Killed while it holds claimed shipments (their lease is short enough to wait for).
    killer = WorkerKiller(layout, deployment.workers, share=0.4, restart_after=2.0, while_claiming=True)
    # An order ships only once a delayed (then timed-out) report request can no longer land after it.
    # Reports a killed worker had claimed wait for their lease (20 s) before their orders can ship.
    scenario = Scenario(
        orders=80 if on_postgres() else 40, report_grace=LATENCY_MS / 1000 + 1, walk_timeout=200
    )
    try:
        run = scenario_run(
            scenario=scenario,
            deployment=deployment,
            sandbox=scale_sandbox,
            before_traffic=lambda run: faults.start(),
            on_tick=killer.tick,
        )
        killer.finish(run)
        # The killed worker's claims end after the configured lease, not the default minutes, and
        # another worker takes those shipments then.
        lease_ends = [(end - killer.killed_at_time).total_seconds() for end in killer.leases.values()]
        assert max(lease_ends, default=0) <= CLAIM_LEASE_SECONDS + 1, lease_ends
        checked = killer.wait_stranded_checked(
            timeout=CLAIM_LEASE_SECONDS + PICKUP_SLACK_SECONDS, lease_seconds=CLAIM_LEASE_SECONDS
        )
        assert max(checked.values(), default=0) <= CLAIM_LEASE_SECONDS + PICKUP_SLACK_SECONDS, checked
        log(
            f"{killer.stranded} shipments claimed at the kill, leases ending within "
            f"{max(lease_ends, default=0):.1f} s, checked again within "
            f"{max(checked.values(), default=0):.1f} s"
        )
        # Work due later (a report's backoff, a lease) is still waited for: a minute or so, not minutes.
        settled = settle(
            run,
            layout,
            timeout=SETTLE_TIMEOUT_SECONDS,
            follow_due_work=True,
            cap=SETTLE_TIMEOUT_SECONDS + 4 * CLAIM_LEASE_SECONDS,
        )
        # A short run may settle before a whole cycle of faults: go on until each kind hit a request
        # (the reconciliation pull keeps calling Omnitron), then check that nothing changed the books.
        faults.wait_each_step_hit(timeout=120)
    finally:
        faults.stop()
    assert faults.error is None, faults.error

    books = books_check(run, exactly_once_on_the_wire=False)
    proof = fault_proof(scale_sandbox, layout)
    log(
        f"start {ready:.1f} s, traffic {run.timings} s, settle {settled.seconds:.1f} s "
        f"(of which {settled.waited_for_due_work:.0f} s for work due later: {settled.due_work}), "
        f"total {time.monotonic() - started:.1f} s; faults applied {dict(faults.applied)}, "
        f"hit {dict(faults.hit)}, unused {dict(faults.unused)}; faults that hit OMS {proof}; {books}"
    )
    # Every kind of fault hit OMS at least once, and the outage made some reports fail and retry.
    assert all(proof[kind] > 0 for kind in proof if not kind.startswith("failed")), proof
    assert books.reports_with_failed_attempts > 0
    assert killer.returncode == -9
    assert killer.replacement is not None and killer.replacement.running()
    assert not layout.crashed(), layout.diagnostics()
