"""A scaled deployment run for real, and the marketplace scenario it must get right.

Shared by the tests in `tests/scale/`:

- `Layout` starts the process layout of a deployment that grew past one machine: several gunicorn
  web servers, several Celery workers and (the failover mistake, on purpose) two Celery beats,
  each a real child process sharing the test database and broker (`tests.processes.child_env`),
  with periodic work every second or two. The Omnitron sandbox runs in the test process.
- `scenario_run` drives the traffic: orders pushed to the web servers alternately (some twice),
  packed through the API (some twice at once), their Omnitron statuses walked 500 -> 540 -> 550 in
  waves once their "preparing" report has reached Omnitron (a few go back to 500 on the way).
- `settle` waits, polling the database, until every package is delivered.
- `books_check` checks that nothing was lost, doubled or moved backwards.
- `FaultCycler` keeps injecting Omnitron faults while the scenario runs.

Only the main thread touches the database: the helper threads speak HTTP only.
"""

import contextlib
import itertools
import math
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone
from kombu import Exchange, Queue

from oms import celery_app
from oms.channels.models import Channel
from oms.core.statuses import OrderStatus, PackageStatus, ShipmentStatus
from oms.core.tokens import api_token_create
from oms.omnitron.models import OmnitronReport, OmnitronReportAttempt, ReportState
from oms.operations.marketplace import marketplace_setup
from oms.orders.models import Order, OrderItem
from oms.packages.models import Package, PackageItem
from oms.sandbox import SandboxServer
from oms.shipments.models import CargoCompany, Shipment, ShipmentObservation
from oms.shipments.resolution import RESOLUTION_COMMAND
from oms.transitions.models import StateTransitionLog
from tests.processes import child_env, free_port, read_log

CHANNEL_OMNITRON_ID = 42
CARGO_COMPANY_OMNITRON_ID = 7
INGEST_PATH = "/api/v1/oms/omnitron/orders/"
BULK_STATUS_PATH = "/api/i1/order_items/bulk_status_update/"
PACK_SLUG = "CHANNEL_BASED_COMPLETE_PACKAGING"
PACK_BODY = {"slug": PACK_SLUG, "input_parameters": {}}
READY_TIMEOUT_SECONDS = 120
STOP_TIMEOUT_SECONDS = 10
#: Answers an HTTP client may send again (the web server is busy or restarting).
RETRYABLE_STATUSES = {429, 502, 503, 504}
HTTP_ATTEMPTS = 5

# Linux: a child gets SIGKILL when the test process dies, even by SIGKILL (finalizers cover the rest).
PDEATHSIG = ["setpriv", "--pdeathsig", "KILL", "--"] if shutil.which("setpriv") else []


def on_postgres() -> bool:
    return connection.vendor == "postgresql"


def log(message: str) -> None:
    """Progress on stdout (pytest shows it with -s, and for a failing test)."""
    print(f"[scale {time.strftime('%H:%M:%S')}] {message}", flush=True)


# The processes


@dataclass
class Child:
    """One child process of the layout; it leads its own process group."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log_file: Path
    ready: Callable[["Child"], bool]
    url: str = ""  # a web server's base URL
    process: subprocess.Popen | None = None
    killed_on_purpose: bool = False

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def output(self) -> str:
        return self.log_file.read_text(errors="replace") if self.log_file.exists() else ""

    def is_ready(self) -> bool:
        return self.running() and self.ready(self)


def _log_says(text: str) -> Callable[[Child], bool]:
    return lambda child: text in child.output()


def _http_answers(url: str) -> Callable[[Child], bool]:
    def answers(child: Child) -> bool:
        try:
            httpx.get(url, timeout=2)
        except httpx.HTTPError:
            return False
        return True

    return answers


class Layout:
    """The processes of a scaled deployment, sharing the test database and broker.

    Every child is registered the moment it is started; `stop_all` (a finalizer) stops every one of
    them by process group, whatever happened to the test.
    """

    def __init__(self, base_dir: Path, sandbox: SandboxServer, **env: str) -> None:
        self.base_dir = base_dir
        self.sandbox = sandbox
        self.queue = f"scale-{uuid.uuid4().hex[:12]}"
        self.children: list[Child] = []
        self.ports: set[int] = set()
        self.env = {
            # Each run consumes a queue of its own: nothing else sent to the broker reaches it.
            "OMS_CELERY_QUEUE": self.queue,
            "OMNITRON_URL": sandbox.url,
            "OMNITRON_USERNAME": sandbox.username,
            "OMNITRON_PASSWORD": sandbox.password,
            "OMS_SHIPMENT_STATUS_POLL_SECONDS": "1",
            "OMS_TRACKING_MIN_INTERVAL_SECONDS": "1",
            "OMS_TRACKING_MAX_INTERVAL_SECONDS": "2",
            "OMS_REPORT_DELIVERY_SECONDS": "2",
            # The reconciliation pull races the pushes for the same orders.
            "OMS_ORDER_RECONCILIATION_SECONDS": "4",
            "OMS_HEARTBEAT_SECONDS": "5",
            # Redis: a task of a killed worker comes back after this, not after the default 10 min.
            "OMS_BROKER_VISIBILITY_TIMEOUT": "15",
            **env,
        }

    # Building children

    def _child(self, name: str, argv: list[str], ready: Callable[[Child], bool]) -> Child:
        data_dir = self.base_dir / name
        data_dir.mkdir(parents=True, exist_ok=True)
        env = child_env(data_dir, **self.env)
        return Child(name=name, argv=argv, env=env, log_file=self.base_dir / f"{name}.log", ready=ready)

    def web(self, name: str, *, workers: int = 2) -> Child:
        port = free_port()
        while port in self.ports:
            port = free_port()
        self.ports.add(port)
        argv = [
            *(sys.executable, "-m", "gunicorn", "oms.wsgi", "-b", f"127.0.0.1:{port}", "-w", str(workers)),
            *("--timeout", "60", "--graceful-timeout", "5", "--no-control-socket"),
        ]
        child = self._child(name, argv, _http_answers(f"http://127.0.0.1:{port}/api/v1/oms/"))
        child.url = f"http://127.0.0.1:{port}"
        return child

    def worker(self, name: str, *, concurrency: int = 2) -> Child:
        argv = [
            *(sys.executable, "-m", "celery", "-A", "oms", "worker", "--concurrency", str(concurrency)),
            *("-n", f"{name}-{self.queue}@%h", "--without-mingle", "--without-gossip", "--loglevel", "INFO"),
        ]
        return self._child(name, argv, _log_says(" ready."))

    def beat(self, name: str) -> Child:
        schedule = self.base_dir / name / "celerybeat-schedule"
        argv = [
            *(sys.executable, "-m", "celery", "-A", "oms", "beat"),
            "-s",
            str(schedule),
            "--loglevel",
            "INFO",
        ]
        return self._child(name, argv, _log_says("beat: Starting"))

    # Running them

    def start(self, child: Child) -> Child:
        with child.log_file.open("ab") as output:
            child.process = subprocess.Popen(
                [*PDEATHSIG, *child.argv],
                env=child.env,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, stopped as a whole
            )
        self.children.append(child)
        return child

    def wait_ready(self, children: Iterable[Child], timeout: float = READY_TIMEOUT_SECONDS) -> None:
        waiting = list(children)
        deadline = time.monotonic() + timeout
        while waiting:
            for child in waiting:
                if not child.running():
                    raise AssertionError(
                        f"{child.name} exited with {child.process.returncode if child.process else '?'} "
                        f"while starting.\n--- {child.name} ---\n{read_log(child.log_file)}"
                    )
            waiting = [child for child in waiting if not child.is_ready()]
            if waiting and time.monotonic() > deadline:
                names = ", ".join(child.name for child in waiting)
                raise AssertionError(f"Not ready after {timeout:.0f} s: {names}.\n{self.diagnostics()}")
            time.sleep(0.2)

    def kill(self, child: Child) -> int:
        """SIGKILL a child's whole process group (a machine losing a worker); returns its exit code."""
        child.killed_on_purpose = True
        _signal_group(child.pid, signal.SIGKILL)
        assert child.process is not None
        return child.process.wait(timeout=STOP_TIMEOUT_SECONDS)

    def crashed(self) -> list[Child]:
        """Children that exited although nobody stopped them."""
        return [child for child in self.children if not child.running() and not child.killed_on_purpose]

    def stop_all(self) -> None:
        """SIGTERM every child's group, wait a little, then SIGKILL every group. Safe to call twice."""
        started = [child for child in self.children if child.process is not None]
        for child in started:
            if child.process.poll() is None:
                _signal_group(child.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        for child in started:
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        for child in started:
            _signal_group(child.pid, signal.SIGKILL)  # the leader, and whatever it left in its group
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.process.wait(timeout=STOP_TIMEOUT_SECONDS)

    def problems(self) -> list[str]:
        """Log lines of trouble: tracebacks and errors anywhere, warnings of workers and beats."""
        found = []
        for child in self.children:
            web = child.name.startswith("web")
            for line in child.output().splitlines():
                if PROBLEM.search(line) or (not web and WARNING.search(line)):
                    found.append(f"{child.name}: {line[:300]}")
        return found

    def diagnostics(self, chars: int = 4000) -> str:
        parts = []
        for child in self.children:
            state = (
                "running"
                if child.running()
                else f"exited {child.process.returncode if child.process else '?'}"
            )
            tail = child.output()[-chars:]
            parts.append(
                f"--- {child.name} (pid {child.process.pid if child.process else '?'}, {state}) ---\n{tail}"
            )
        return "\n".join(parts)

    def declare_queue(self) -> None:
        """Create the broker's tables and this run's queue before many processes race to."""
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=3)
            Queue(self.queue, Exchange(self.queue), routing_key=self.queue).bind(
                conn.default_channel
            ).declare()


PROBLEM = re.compile(r"Traceback|\bERROR\b|\bCRITICAL\b")
WARNING = re.compile(r"\bWARNING\b")


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


@dataclass
class Deployment:
    """The started layout: web servers, workers, beats."""

    layout: Layout
    webs: list[Child]
    workers: list[Child]
    beats: list[Child]

    @property
    def web_urls(self) -> list[str]:
        return [web.url for web in self.webs]


def deployment_start(
    layout: Layout,
    *,
    webs: int = 2,
    web_workers: int = 2,
    workers: int = 3,
    concurrency: int = 2,
    beats: int = 2,
) -> Deployment:
    """Start the whole layout at once and wait until every process is ready."""
    layout.declare_queue()
    deployment = Deployment(
        layout=layout,
        webs=[layout.start(layout.web(f"web{n + 1}", workers=web_workers)) for n in range(webs)],
        workers=[
            layout.start(layout.worker(f"worker{n + 1}", concurrency=concurrency)) for n in range(workers)
        ],
        # Two beats, each with its own schedule file: every periodic task runs twice. It must not matter.
        beats=[layout.start(layout.beat(f"beat{n + 1}")) for n in range(beats)],
    )
    layout.wait_ready([*deployment.webs, *deployment.workers, *deployment.beats])
    return deployment


# The marketplace in OMS


def marketplace_configure() -> str:
    """Channel 42 and cargo company 7 in OMS, the marketplace setup, and a clerk's API token."""
    channel = Channel.objects.create(
        name="Trendyol", channel_type="sales_channel", omnitron_id=CHANNEL_OMNITRON_ID
    )
    company = CargoCompany.objects.create(
        name="Yurtici Kargo",
        erp_code="yurtici-kargo",
        shipping_company="yurtici",
        omnitron_id=CARGO_COMPANY_OMNITRON_ID,
    )
    marketplace_setup(channel_id=channel.pk, cargo_company_id=company.pk)
    clerk = get_user_model().objects.create_user(username="scale-clerk", password="scale-clerk-password")
    return api_token_create(user=clerk, now=timezone.now()).key


# The traffic


@dataclass
class Call:
    """One logical HTTP call of the scenario, with every attempt's answer."""

    what: str
    order_pk: int
    server: int
    statuses: list[int | str] = field(default_factory=list)
    body: Any = None

    @property
    def status(self) -> int | str:
        return self.statuses[-1] if self.statuses else "not sent"


@dataclass
class Scenario:
    """What the run does, and how hard."""

    orders: int
    duplicate_share: float = 0.2  # orders pushed twice (to the other web server, possibly at once)
    double_pack_share: float = 0.1  # packages packed twice at once (one must win, one must be refused)
    flap_share: float = 0.1  # orders whose Omnitron status goes back 540 -> 500 before 550
    threads: int = 8
    # Seconds between a report being sent and its order shipping: a request Omnitron delays past the
    # client's timeout is still applied when it wakes up, and must not land after the order shipped.
    report_grace: float = 0.0
    walk_timeout: float = 150.0
    seed: int = field(default_factory=lambda: random.randrange(1_000_000))


@dataclass
class Run:
    """What happened: the sandbox orders, every push and pack call, timings, events."""

    scenario: Scenario
    sandbox: SandboxServer
    web_urls: list[str]
    token: str
    orders: list[dict[str, Any]] = field(default_factory=list)
    pushes: list[Call] = field(default_factory=list)
    packs: list[Call] = field(default_factory=list)
    package_of: dict[int, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    events: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    started: float = field(default_factory=time.monotonic)

    def event(self, text: str) -> None:
        with self.lock:
            self.events.append(text)
        log(text)


def orders_create(sandbox: SandboxServer, count: int, rng: random.Random) -> list[dict[str, Any]]:
    """`count` approved marketplace orders of 1-3 items in the sandbox (pushing is off: the test pushes)."""
    return [
        sandbox.create_order(
            channel=CHANNEL_OMNITRON_ID, cargo_company=CARGO_COMPANY_OMNITRON_ID, item_count=rng.randint(1, 3)
        )
        for _ in range(count)
    ]


def _send(
    client: httpx.Client, call: Call, method: str, url: str, body: Any, headers: dict[str, str]
) -> Call:
    """Send, and send again on a transport error or a busy answer (as Omnitron's webhook does)."""
    for attempt in range(1, HTTP_ATTEMPTS + 1):
        try:
            response = client.request(method, url, json=body, headers=headers)
        except httpx.TransportError as exc:
            call.statuses.append(type(exc).__name__)
        else:
            call.statuses.append(response.status_code)
            try:
                call.body = response.json() if response.content else None
            except ValueError:
                call.body = response.text[:500]
            if response.status_code not in RETRYABLE_STATUSES:
                return call
        time.sleep(0.2 * attempt)
    return call


class Traffic:
    """Pushes every order to the web servers alternately (some twice), packing each once it is in.

    Runs in a thread pool while the main thread walks statuses; `join` waits for every call.
    """

    def __init__(self, run: Run, rng: random.Random) -> None:
        self.run = run
        scenario = run.scenario
        headers = {"Authorization": f"Token {run.token}"}
        self.clients = [httpx.Client(base_url=url, timeout=60, headers=headers) for url in run.web_urls]
        self.executor = ThreadPoolExecutor(max_workers=scenario.threads, thread_name_prefix="scale-http")
        self.futures: list[Future] = []
        self.packed: set[int] = set()
        count = len(run.orders)
        self.doubled = set(rng.sample(range(count), round(count * scenario.double_pack_share)))
        duplicated = rng.sample(range(count), round(count * scenario.duplicate_share))
        servers = len(self.clients)
        jobs = [(index, index % servers) for index in range(count)]
        jobs += [(index, (index + 1) % servers) for index in duplicated]
        # A duplicate lands near its first push: sometimes before it, sometimes at the same moment.
        jobs.sort(key=lambda job: job[0] + rng.uniform(-3, 3))
        self.futures.extend(self.executor.submit(self._push, index, server) for index, server in jobs)

    def _push(self, index: int, server: int) -> None:
        run = self.run
        order = run.orders[index]
        call = _send(self.clients[server], Call("push", order["pk"], server), "POST", INGEST_PATH, order, {})
        with run.lock:
            run.pushes.append(call)
            run.timings["pushed"] = time.monotonic() - run.started
            if call.status not in (200, 201):
                run.failures.append(
                    f"push of order {order['pk']} to web{server + 1}: {call.statuses} {call.body}"
                )
                return
            package_id = call.body["packages"][0]["id"]
            run.package_of.setdefault(order["pk"], package_id)
            if order["pk"] in self.packed:
                return
            self.packed.add(order["pk"])
        servers = len(self.clients)
        first = (index + 1) % servers
        self.futures.append(self.executor.submit(self._pack, order["pk"], package_id, first))
        if index in self.doubled:  # a second packer at the same moment, on the other web server
            self.futures.append(
                self.executor.submit(self._pack, order["pk"], package_id, (first + 1) % servers)
            )

    def _pack(self, order_pk: int, package_id: int, server: int) -> None:
        # One key for all attempts of this call: a pack the server did but could not answer is
        # answered again, not refused. The concurrent second packer has a key of its own.
        key = {"Idempotency-Key": f"pack-{package_id}-{uuid.uuid4().hex}"}
        path = f"/api/v1/oms/packages/{package_id}/command/"
        call = _send(self.clients[server], Call("pack", order_pk, server), "POST", path, PACK_BODY, key)
        with self.run.lock:
            self.run.packs.append(call)
            self.run.timings["packed"] = time.monotonic() - self.run.started

    def join(self) -> None:
        """Wait for every push and pack (pushes submit packs, so the list grows meanwhile)."""
        try:
            seen = 0
            while seen < len(self.futures):
                self.futures[seen].result(timeout=300)
                seen += 1
        finally:
            self.executor.shutdown(wait=True, cancel_futures=True)
            for client in self.clients:
                client.close()


# Walking Omnitron statuses

SHIPPED, ATTEMPTED, DELIVERED = "500", "540", "550"


def reported_orders(*, grace: float) -> set[int]:
    """Omnitron ids of orders whose "preparing" report was sent at least `grace` seconds ago."""
    cutoff = timezone.now() - timedelta(seconds=grace)
    return set(
        OmnitronReport.objects.filter(state=ReportState.SENT, sent_at__lte=cutoff).values_list(
            "package__order__omnitron_id", flat=True
        )
    )


def walk_statuses(
    run: Run, rng: random.Random, on_tick: Callable[[dict[int, int]], None] | None = None
) -> None:
    """Ship, attempt and deliver every order in the sandbox, in waves, as its report reaches Omnitron.

    A quarter of the orders at most starts per tick; each then moves after 0.5-3 s (so OMS sees some
    statuses and misses others). Flapping orders go back from 540 to 500 before 550.
    """
    scenario = run.scenario
    pks = [order["pk"] for order in run.orders]
    flappers = set(rng.sample(pks, round(len(pks) * scenario.flap_share)))
    plans = {
        pk: [SHIPPED, ATTEMPTED, SHIPPED, DELIVERED] if pk in flappers else [SHIPPED, ATTEMPTED, DELIVERED]
        for pk in pks
    }
    done: dict[int, int] = dict.fromkeys(pks, 0)  # how many steps of its plan each order took
    due: dict[int, float] = {}
    wave = max(1, math.ceil(len(pks) / 4))
    deadline = time.monotonic() + scenario.walk_timeout
    while True:
        now = time.monotonic()
        reported = reported_orders(grace=scenario.report_grace)
        started = 0
        for pk in pks:
            step = done[pk]
            if step == len(plans[pk]):
                continue
            if step == 0 and (pk not in reported or started >= wave):
                continue
            if step > 0 and now < due[pk]:
                continue
            run.sandbox.set_status(pk, plans[pk][step])
            started += step == 0
            done[pk] = step + 1
            due[pk] = now + rng.uniform(0.5, 3.0)
        if "reported" not in run.timings and len(reported) == len(pks):
            run.timings["reported"] = time.monotonic() - run.started
        if on_tick is not None:
            on_tick(done)
        if all(done[pk] == len(plans[pk]) for pk in pks):
            return
        if run.failures:
            raise AssertionError("Pushing or packing failed:\n" + "\n".join(run.failures[:20]))
        if now > deadline:
            waiting = [pk for pk in pks if done[pk] == 0]
            raise AssertionError(
                f"{len(waiting)} orders still wait for their report after {scenario.walk_timeout:.0f} s "
                f"(e.g. {waiting[:10]}); reports by state: {report_states()}"
            )
        time.sleep(0.5)


def report_states() -> dict[str, int]:
    return dict(Counter(OmnitronReport.objects.values_list("state", flat=True)))


# Settling


@dataclass
class Settled:
    seconds: float
    # Seconds waited past the plain timeout because work was due later (e.g. a killed worker's leases).
    waited_for_due_work: float = 0.0
    due_work: list[str] = field(default_factory=list)


def settle(
    run: Run, layout: Layout, *, timeout: float, follow_due_work: bool = False, cap: float = 480.0
) -> Settled:
    """Wait until every package and shipment is delivered and no report is outstanding.

    With `follow_due_work`, the deadline also moves to a little after the latest due time of work
    still outstanding (a claim left by a killed worker becomes due again when its lease ends: that
    is the design, and waiting for it is the proof that nothing was lost), up to `cap` seconds.
    """
    count = len(run.orders)
    started = time.monotonic()
    deadline = started + timeout
    due_work: list[str] = []
    while True:
        delivered = Package.objects.filter(status=PackageStatus.DELIVERED).count()
        shipments = Shipment.objects.filter(status=ShipmentStatus.DELIVERED).count()
        outstanding = OmnitronReport.objects.filter(state__in=[ReportState.PENDING, ReportState.FAILED])
        now = time.monotonic()
        if delivered == count and shipments == count and not outstanding.exists():
            return Settled(now - started, max(0.0, now - started - timeout), due_work)
        if follow_due_work:
            latest = _latest_due_work()
            ahead = (latest[0] - timezone.now()).total_seconds() if latest is not None else 0.0
            if latest is not None and ahead > 10:  # a lease or a backoff, not the next regular check
                wanted = min(now + ahead + 20, started + cap)
                if wanted > deadline:
                    deadline = wanted
                    what = f"{latest[1]} due at {latest[0]:%H:%M:%S}"
                    if what not in due_work:
                        due_work.append(what)
                        run.event(f"the deadline follows work due later: {what}")
        if layout.crashed():
            names = ", ".join(child.name for child in layout.crashed())
            raise AssertionError(f"{names} exited during the run.\n{layout.diagnostics()}")
        if now > deadline:
            raise AssertionError(
                f"Not settled after {now - started:.0f} s: {delivered}/{count} packages and "
                f"{shipments}/{count} shipments delivered; packages by status {_by(Package, 'status')}; "
                f"shipments by status {_by(Shipment, 'status')}; reports {report_states()}; "
                f"latest due work {_latest_due_work()}.\n"
                f"{layout.diagnostics()}"
            )
        time.sleep(0.5)


def _by(model: Any, name: str) -> dict[Any, int]:
    return dict(Counter(model.objects.values_list(name, flat=True)))


def _latest_due_work() -> tuple[Any, str] | None:
    """The latest due time of a followed shipment or an outstanding report, and what it is."""
    shipment = (
        Shipment.objects.filter(status__lt=ShipmentStatus.DELIVERED, next_check_at__isnull=False)
        .order_by("-next_check_at")
        .values_list("next_check_at", "pk")
        .first()
    )
    report = (
        OmnitronReport.objects.filter(
            state__in=[ReportState.PENDING, ReportState.FAILED], next_attempt_at__isnull=False
        )
        .order_by("-next_attempt_at")
        .values_list("next_attempt_at", "pk")
        .first()
    )
    due = []
    if shipment is not None:
        waiting = Shipment.objects.filter(
            status__lt=ShipmentStatus.DELIVERED, next_check_at__gte=shipment[0] - timedelta(seconds=5)
        ).count()
        due.append((shipment[0], f"{waiting} shipment(s) such as {shipment[1]}"))
    if report is not None:
        due.append((report[0], f"report {report[1]}"))
    return max(due, key=lambda entry: entry[0]) if due else None


# The books


@dataclass
class Books:
    """What the books showed (for the test's summary)."""

    orders: int = 0
    items: int = 0
    pushes: int = 0
    pushes_by_status: dict[Any, int] = field(default_factory=dict)
    packs_by_status: dict[Any, int] = field(default_factory=dict)
    calls_sent_again: int = 0
    observations: dict[str, int] = field(default_factory=dict)
    bulk_requests: int = 0
    bulk_applied: int = 0
    items_reported_more_than_once: int = 0
    reports_with_failed_attempts: int = 0
    transitions: int = 0
    resolution_transitions: int = 0
    statuses_seen: dict[str, int] = field(default_factory=dict)


def books_check(run: Run, *, exactly_once_on_the_wire: bool) -> Books:
    """Check that every order went through exactly once, nothing was lost or doubled, nothing went back.

    `exactly_once_on_the_wire`: every item's 450 reached Omnitron exactly once (no fault made the
    client send a report again); otherwise at least once.
    """
    books = Books()
    sandbox_orders = {order["pk"]: run.sandbox.order(order["pk"]) for order in run.orders}
    count = len(sandbox_orders)
    books.orders = count

    # Every push and pack got an answer that makes sense.
    books.pushes = len(run.pushes)
    books.pushes_by_status = dict(Counter(call.status for call in run.pushes))
    assert not run.failures, run.failures[:20]
    assert {call.status for call in run.pushes} <= {200, 201}, [
        c for c in run.pushes if c.status not in (200, 201)
    ]
    created = Counter(call.order_pk for call in run.pushes if call.status == 201)
    assert max(created.values(), default=0) <= 1, {pk: n for pk, n in created.items() if n > 1}
    books.packs_by_status = dict(Counter(call.status for call in run.packs))
    books.calls_sent_again = sum(1 for call in [*run.pushes, *run.packs] if len(call.statuses) > 1)
    packs = defaultdict(list)
    for call in run.packs:
        packs[call.order_pk].append(call.status)
    assert set(packs) == set(sandbox_orders), "some order was never packed"
    for pk, statuses in packs.items():
        assert statuses.count(204) == 1, f"order {pk}: pack answers {statuses} (one 204 expected)"
        assert set(statuses) <= {204, 400, 409}, f"order {pk}: pack answers {statuses}"

    # Every Omnitron order exactly once in OMS, with its items, one package, one shipment.
    orders = {order.omnitron_id: order for order in Order.objects.all()}
    assert sorted(orders) == sorted(sandbox_orders), "OMS orders differ from the Omnitron orders"
    assert Order.objects.count() == count
    items = defaultdict(set)
    for omnitron_id, order_omnitron_id in OrderItem.objects.values_list("omnitron_id", "order__omnitron_id"):
        items[order_omnitron_id].add(omnitron_id)
    expected_items = {
        pk: {item["pk"] for item in order["orderitem_set"]} for pk, order in sandbox_orders.items()
    }
    assert items == expected_items, "OMS order items differ from the Omnitron items"
    books.items = sum(len(pks) for pks in expected_items.values())
    assert OrderItem.objects.count() == books.items

    packages = list(Package.objects.select_related("order", "shipment"))
    assert len(packages) == count
    assert Counter(package.order.omnitron_id for package in packages) == Counter(
        dict.fromkeys(sandbox_orders, 1)
    )
    package_items = defaultdict(set)
    for package_id, item_omnitron_id, status in PackageItem.objects.values_list(
        "package_id", "order_item__omnitron_id", "status"
    ):
        package_items[package_id].add(item_omnitron_id)
        assert status == PackageStatus.DELIVERED, f"package item of package {package_id} is {status}"
    assert Shipment.objects.count() == count
    for package in packages:
        omnitron_id = package.order.omnitron_id
        assert package_items[package.pk] == expected_items[omnitron_id], f"package {package.pk} items"
        assert run.package_of[omnitron_id] == package.pk, f"order {omnitron_id}: pushes named another package"
        assert package.status == PackageStatus.DELIVERED, f"package {package.pk} is {package.status}"
        shipment = package.shipment
        assert shipment.status == ShipmentStatus.DELIVERED, f"shipment {shipment.pk} is {shipment.status}"
        assert shipment.tracking_number == sandbox_orders[omnitron_id]["tracking_number"]
        assert package.order.status == OrderStatus.DELIVERED, f"order {omnitron_id} is {package.order.status}"
    assert set(OrderItem.objects.values_list("status", flat=True)) == {OrderStatus.DELIVERED}

    # Exactly one report per package, sent, setting each of its items to 450; Omnitron received it.
    # (Not `superseded`: that is for a report still waiting when its package ships, and the walk
    # ships an order only once its report was sent.)
    reports = list(OmnitronReport.objects.all())
    assert Counter(report.package_id for report in reports) == Counter({p.pk: 1 for p in packages}), (
        "not exactly one report per package"
    )
    item_package = {}
    for package in packages:
        for item in expected_items[package.order.omnitron_id]:
            item_package[item] = package.pk
    for report in reports:
        assert report.state == ReportState.SENT, f"report {report.pk} is {report.state}: {report.last_error}"
        package_items_pks = sorted(package_items[report.package_id])
        assert report.payload == {
            "orderitem_set": [{"id": pk, "status": "450"} for pk in package_items_pks]
        }, f"report {report.pk} payload {report.payload}"
    failed_attempts = set(
        OmnitronReportAttempt.objects.exclude(outcome=ReportState.SENT).values_list("report_id", flat=True)
    )
    books.reports_with_failed_attempts = len(failed_attempts)
    sent_attempts = Counter(
        OmnitronReportAttempt.objects.filter(outcome=ReportState.SENT).values_list("report_id", flat=True)
    )
    assert set(sent_attempts) == {report.pk for report in reports}

    bulk = [entry for entry in run.sandbox.requests(BULK_STATUS_PATH) if entry["method"] == "PATCH"]
    books.bulk_requests = len(bulk)
    # Omnitron applied a request when it answered 200 (a malformed answer too: the body was cut after).
    applied = [entry for entry in bulk if entry["status"] == 200]
    books.bulk_applied = len(applied)
    per_item: Counter[int] = Counter()
    for entry in applied:
        rows = entry["body"]["orderitem_set"]
        ids = sorted(row["id"] for row in rows)
        assert {row["status"] for row in rows} == {"450"}, f"a bulk update set {rows}"
        assert ids and item_package.get(ids[0]) is not None, f"a bulk update names unknown items {ids}"
        assert ids == sorted(package_items[item_package[ids[0]]]), f"a bulk update mixes packages: {ids}"
        per_item.update(ids)
    missing = sorted(set(item_package) - set(per_item))
    assert not missing, f"items whose 450 never reached Omnitron: {missing[:20]}"
    books.items_reported_more_than_once = sum(1 for n in per_item.values() if n > 1)
    if exactly_once_on_the_wire:
        assert books.items_reported_more_than_once == 0, {pk: n for pk, n in per_item.items() if n > 1}
        assert len(applied) == count
        assert max(sent_attempts.values()) == 1, "a report was sent twice"

    # No status ever moved backwards; each package's timeline is one increasing chain.
    logs = list(
        StateTransitionLog.objects.order_by("package_id", "id").values(
            "package_id", "command", "old_state", "new_state"
        )
    )
    books.transitions = len(logs)
    books.resolution_transitions = sum(1 for row in logs if row["command"] == RESOLUTION_COMMAND)
    backwards = [row for row in logs if not row["new_state"] > row["old_state"]]
    assert not backwards, f"transitions that did not move forward: {backwards[:20]}"
    timeline = defaultdict(list)
    for row in logs:
        timeline[row["package_id"]].append(row)
    assert set(timeline) == {package.pk for package in packages}
    for package_id, rows in timeline.items():
        states = [PackageStatus.WAITING] + [row["new_state"] for row in rows]
        assert all(a < b for a, b in itertools.pairwise(states)), f"package {package_id}: {rows}"
        assert [row["old_state"] for row in rows] == states[:-1], (
            f"package {package_id} timeline breaks: {rows}"
        )
        assert rows[0]["command"] == PACK_SLUG and rows[0]["new_state"] == PackageStatus.PACKED, rows
        assert all(row["command"] == RESOLUTION_COMMAND for row in rows[1:]), rows
        assert states[-1] == PackageStatus.DELIVERED
    books.observations = _by(ShipmentObservation, "outcome")
    books.statuses_seen = dict(
        Counter("-".join(str(s) for s in [row["new_state"] for row in rows]) for rows in timeline.values())
    )
    return books


# Faults


@dataclass
class FaultStep:
    name: str
    faults: dict[str, Any] | None = None
    latency_window: float = 0.0  # seconds with `latency_ms` on (a timeout for the requests arriving then)
    # An outage: `faults` stay on until this long after the first request they hit (so that a call
    # that met the first failure also fails all its retries).
    hold_after_first_hit: float = 0.0


# Small bursts, a couple of seconds apart: one call of the client (4 attempts, backoff up to 2 s,
# 2 s timeouts) rarely meets more than three failed attempts, so the work mostly goes through on
# the client's retries; when it does not, the outbox and the resolution schedule retry it.
DEFAULT_FAULT_STEPS = [
    FaultStep("5xx burst", {"fail_next": 2}),
    FaultStep("429 with Retry-After", {"rate_limit_next": 1, "retry_after": 1}),
    FaultStep("dropped connection", {"drop_next": 1}),
    FaultStep("token expiry", {"expire_tokens": True}),
    FaultStep("timeout", latency_window=0.3),
    FaultStep("malformed JSON", {"malformed_next": 1}),
]


FAULT_COUNTERS = ("fail_next", "rate_limit_next", "drop_next", "malformed_next")


class FaultCycler(threading.Thread):
    """Injects Omnitron faults one burst at a time, for as long as the scenario runs.

    Each burst is small (one or two failed requests) and the next comes only after it was used up
    and a gap of `gap` seconds: a call of the client meets a few failed attempts, not four.
    The first step, `outage`, is different: an Omnitron that fails more than the client retries,
    on the report path only, so that some reports fail and are sent again later from the outbox.
    The cycle repeats until `stop()`.
    """

    def __init__(
        self,
        sandbox: SandboxServer,
        *,
        latency_ms: int,
        gap: float = 2.0,
        outage: FaultStep | None = None,
        steps: list[FaultStep] | None = None,
    ) -> None:
        super().__init__(name="scale-faults", daemon=True)
        self.sandbox = sandbox
        self.latency_ms = latency_ms
        self.gap = gap
        self.outage = outage
        self.steps = steps or DEFAULT_FAULT_STEPS
        self.applied: Counter[str] = Counter()
        self.hit: Counter[str] = Counter()  # applied, and met by at least one request
        self.unused: Counter[str] = Counter()  # applied, and no request came in time
        self.error: BaseException | None = None
        self._stop_event = threading.Event()

    def stop(self) -> None:
        """Stop injecting and clear every fault (an error of the thread stays in `error`)."""
        self._stop_event.set()
        if self.is_alive():
            self.join(timeout=30)
        self.sandbox.clear_faults()

    def wait_each_step_hit(self, timeout: float) -> None:
        """Wait until every step (outage included) has hit OMS's requests at least once."""
        names = {step.name for step in self.steps} | ({self.outage.name} if self.outage else set())
        deadline = time.monotonic() + timeout
        while not set(self.hit) >= names:
            if self.error is not None or not self.is_alive() or time.monotonic() > deadline:
                raise AssertionError(
                    f"Faults that never hit a request in {timeout:.0f} s: {sorted(names - set(self.hit))} "
                    f"(applied {dict(self.applied)}, error {self.error!r})"
                )
            time.sleep(0.2)

    def run(self) -> None:
        try:
            if self.outage is not None:
                self._apply(self.outage, wait_up_to=60)
            while not self._stop_event.is_set():
                for step in self.steps:
                    if self._stop_event.wait(self.gap):
                        return
                    self._apply(step, wait_up_to=10)
        except BaseException as exc:  # surfaced by the test
            self.error = exc

    def _apply(self, step: FaultStep, wait_up_to: float) -> None:
        self.applied[step.name] += 1
        before = len(self.sandbox.requests())
        if step.latency_window:
            # Slow for `latency_window` and until one request arrived (so one call times out); off
            # again well before that call's retry, which comes after the client's read timeout.
            self.sandbox.set_faults(latency_ms=self.latency_ms)
            self._stop_event.wait(step.latency_window)
            hit = self._wait(lambda: len(self.sandbox.requests()) > before, wait_up_to)
            self.sandbox.set_faults(latency_ms=0)
        else:
            faults = step.faults or {}
            self.sandbox.set_faults(**faults)
            if step.hold_after_first_hit:
                hit = self._wait(
                    lambda: any(e["fault"] for e in self.sandbox.requests()[before:]), wait_up_to
                )
                if hit:
                    self._stop_event.wait(step.hold_after_first_hit)
            elif faults.get("expire_tokens"):
                hit = True  # every token is invalid now; the next call of each process meets a 401
            else:
                hit = self._wait(
                    lambda: not any(self.sandbox.faults()[name] for name in FAULT_COUNTERS), wait_up_to
                )
            self.sandbox.clear_faults()  # leftovers too: no burst outlives its turn
        (self.hit if hit else self.unused)[step.name] += 1

    def _wait(self, condition: Callable[[], bool], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline or self._stop_event.wait(0.05):
                return False
        return True


RESOLVE_TASK = "oms.shipments.tasks.resolve_shipment_statuses"
# Celery's log lines: "[2026-11-28 04:21:43,873: INFO/MainProcess] Task <name>[<id>] received".
TASK_LINE = re.compile(
    r"^\[(?P<at>[\d-]+ [\d:,]+): [^]]*\] Task (?P<name>[\w.]+)\[(?P<id>[\w-]+)\] "
    r"(?P<what>received|succeeded|failed|raised)",
    re.MULTILINE,
)


def tasks_running(child: Child, name: str) -> dict[str, str]:
    """The tasks called `name` the worker received and has not finished (id -> when received)."""
    running: dict[str, str] = {}
    for match in TASK_LINE.finditer(child.output()):
        if match["name"] != name:
            continue
        if match["what"] == "received":
            running[match["id"]] = match["at"]
        else:
            running.pop(match["id"], None)
    return running


def claimed_shipments() -> dict[int, Any]:
    """Shipments claimed right now (due far later than a regular check, that is leased): id -> lease end."""
    leased_from = timezone.now() + timedelta(seconds=8)
    return dict(
        Shipment.objects.filter(
            status__lt=ShipmentStatus.DELIVERED, next_check_at__gt=leased_from
        ).values_list("pk", "next_check_at")
    )


class WorkerKiller:
    """SIGKILLs one worker once `share` of the orders started shipping, and starts a new one later.

    With `while_claiming`, it waits (up to `patience` seconds) for a moment when shipments are
    claimed and a worker runs shipment status resolution, and kills that one: its claimed rows are
    then stranded until their lease ends, which the run must survive. (Best effort: the claim may
    belong to another worker, or end just before the kill; `stranded` tells, and `leases` holds
    their lease ends, for `wait_stranded_checked`.)
    """

    def __init__(
        self,
        layout: Layout,
        workers: list[Child],
        *,
        share: float,
        restart_after: float,
        while_claiming: bool,
        patience: float = 30.0,
    ) -> None:
        self.layout = layout
        self.workers = workers
        self.victim = workers[-1]
        self.share = share
        self.restart_after = restart_after
        self.while_claiming = while_claiming
        self.patience = patience
        self.armed_at: float | None = None
        self.killed_at: float | None = None
        self.killed_at_time: Any = None  # the same moment, on the database's clock
        self.returncode: int | None = None
        self.stranded = 0  # shipments the killed worker had claimed
        self.leases: dict[int, Any] = {}  # their ids -> when their lease ends
        self.replacement: Child | None = None

    def tick(self, run: Run, done: dict[int, int]) -> None:
        now = time.monotonic()
        if self.killed_at is None:
            if self.armed_at is None and sum(1 for steps in done.values() if steps) >= self.share * len(done):
                self.armed_at = now
            if self.armed_at is not None:
                self._maybe_kill(run, now)
        elif self.replacement is None and now - self.killed_at >= self.restart_after:
            self.restart(run)

    def _maybe_kill(self, run: Run, now: float) -> None:
        assert self.armed_at is not None
        if self.while_claiming and now - self.armed_at < self.patience:
            victim = self._claiming_worker(within=0.5)
            if victim is None:
                return
            self.victim = victim
        self.returncode = self.layout.kill(self.victim)
        self.killed_at = time.monotonic()
        self.killed_at_time = timezone.now()
        self.leases = claimed_shipments()
        self.stranded = len(self.leases)
        run.event(
            f"SIGKILLed {self.victim.name} (pid {self.victim.pid}): exit {self.returncode}; "
            f"{self.stranded} shipments claimed at that moment"
        )

    def _claiming_worker(self, within: float) -> Child | None:
        """The worker that most likely holds claimed shipments right now, watching for `within` s.

        Shipments are claimed, and a worker runs resolution: the one that received its task first
        (two beats send two; the later one finds the rows taken).
        """
        deadline = time.monotonic() + within
        while True:
            running = {
                worker.name: min(started.values())
                for worker in self.workers
                if worker.running() and (started := tasks_running(worker, RESOLVE_TASK))
            }
            if running and claimed_shipments():
                first = min(running, key=running.__getitem__)
                return next(worker for worker in self.workers if worker.name == first)
            if time.monotonic() > deadline:
                return None
            time.sleep(0.05)

    def wait_stranded_checked(self, timeout: float, lease_seconds: float) -> dict[int, float]:
        """Wait until every shipment claimed at the kill was checked since it was claimed; seconds
        after the kill, by id.

        "Since it was claimed", not "since the kill": the claim may be a live worker's, made a few
        milliseconds before the kill was recorded, and a check records the time its cycle began; a
        shipment that check delivered is never checked again. A claim the killed worker held is
        checked only once its lease has ended and another worker has claimed it again.
        """
        deadline = time.monotonic() + timeout
        lease = timedelta(seconds=lease_seconds)
        while True:
            checked = {
                pk: (at - self.killed_at_time).total_seconds()
                for pk, at in Shipment.objects.filter(pk__in=list(self.leases)).values_list(
                    "pk", "last_checked_at"
                )
                if at is not None and at >= self.leases[pk] - lease
            }
            if len(checked) == len(self.leases):
                return checked
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"Shipments claimed when {self.victim.name} was killed, not checked since "
                    f"{timeout:.0f} s later: {sorted(set(self.leases) - set(checked))[:20]} "
                    f"(leases ended at {sorted(set(self.leases.values()))[:5]})"
                )
            time.sleep(0.5)

    def restart(self, run: Run) -> None:
        concurrency = self.victim.argv[self.victim.argv.index("--concurrency") + 1]
        worker = self.layout.worker(f"{self.victim.name}-restarted", concurrency=int(concurrency))
        self.replacement = self.layout.start(worker)
        run.event(f"started {worker.name} (pid {worker.pid})")

    def finish(self, run: Run) -> None:
        """Kill and restart now if the run was too short to do it on a tick; wait for the new worker."""
        while self.killed_at is None:
            self.tick(run, {0: 1})
            time.sleep(0.1)
        if self.replacement is None:
            self.restart(run)
        assert self.replacement is not None
        self.layout.wait_ready([self.replacement])


def fault_proof(sandbox: SandboxServer, layout: Layout) -> dict[str, int]:
    """How often each fault actually hit an OMS request (from the sandbox log and the workers' logs)."""
    entries = sandbox.requests()
    faults = Counter(entry["fault"] for entry in entries if entry["fault"])
    worker_logs = "".join(child.output() for child in layout.children if "worker" in child.name)
    return {
        # What got through the client's retries (then the outbox or the resolution schedule retried).
        "failed report deliveries": worker_logs.count("not delivered (attempt"),
        "failed resolution batches": worker_logs.count("Shipment status batch failed"),
        "5xx": faults["error"],
        "429": faults["rate_limit"],
        "dropped": faults["drop"],
        "malformed": faults["malformed"],
        "401 (expired token)": sum(1 for entry in entries if entry["status"] == 401),
        "timeouts (client side)": worker_logs.count("timed out"),
        "logins": sum(1 for entry in entries if entry["path"] == "/api/v1/auth/login/"),
    }


# The whole scenario


def scenario_run(
    *,
    scenario: Scenario,
    deployment: Deployment,
    sandbox: SandboxServer,
    on_tick: Callable[[Run, dict[int, int]], None] | None = None,
    before_traffic: Callable[[Run], None] | None = None,
) -> Run:
    """Configure, create orders, push and pack them, walk their statuses: the traffic part of a run."""
    rng = random.Random(scenario.seed)
    log(f"{connection.vendor}: {scenario.orders} orders, seed {scenario.seed}")
    run = Run(scenario=scenario, sandbox=sandbox, web_urls=deployment.web_urls, token=marketplace_configure())
    run.orders = orders_create(sandbox, scenario.orders, rng)
    run.started = time.monotonic()
    if before_traffic is not None:
        before_traffic(run)
    traffic = Traffic(run, rng)
    try:
        walk_statuses(run, rng, on_tick=(lambda done: on_tick(run, done)) if on_tick else None)
    finally:
        traffic.join()
    run.timings["traffic"] = time.monotonic() - run.started
    return run
