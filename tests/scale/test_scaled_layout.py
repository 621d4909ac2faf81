"""The process layout of a scaled deployment, run for real against the Omnitron sandbox (SLOW).

Two gunicorn web servers, three Celery workers and two Celery beats (each with its own schedule
file: the failover mistake, on purpose, so every periodic task runs twice), all sharing the test
database and broker, with periodic work every second or two. A few hundred marketplace orders
(fewer on SQLite) are pushed to both web servers (a fifth of them twice), packed through the API
(a tenth twice at once), and walked through 500 -> 540 -> 550 in Omnitron. Then the books must
balance: every order once, one package, one shipment and one sent report each, every item's 450 on
the wire exactly once, everything delivered, and no status ever moved backwards.
"""

import time

import pytest

from tests.scale.scenario import (
    Scenario,
    books_check,
    deployment_start,
    log,
    on_postgres,
    scenario_run,
    settle,
)

pytestmark = pytest.mark.slow

SETTLE_TIMEOUT_SECONDS = 90


@pytest.mark.django_db(transaction=True)
def test_a_scaled_layout_delivers_every_order_exactly_once(make_layout, scale_sandbox):
    started = time.monotonic()
    layout = make_layout()
    deployment = deployment_start(layout)
    ready = time.monotonic() - started
    log(f"{len(layout.children)} processes ready in {ready:.1f} s")

    scenario = Scenario(orders=200 if on_postgres() else 60)
    run = scenario_run(scenario=scenario, deployment=deployment, sandbox=scale_sandbox)
    settled = settle(run, layout, timeout=SETTLE_TIMEOUT_SECONDS)
    books = books_check(run, exactly_once_on_the_wire=True)

    assert not layout.crashed(), layout.diagnostics()
    # Without faults nothing had to be sent again, and no process logged trouble.
    assert books.calls_sent_again == 0
    assert not layout.problems(), "\n".join(layout.problems()[:50])
    log(
        f"start {ready:.1f} s, traffic {run.timings} s, settle {settled.seconds:.1f} s, "
        f"total {time.monotonic() - started:.1f} s; {books}"
    )
