"""Resolution at scale: one full shipment status resolution cycle for N packed shipments, the real one
(`shipments_resolve(due_only=False)`, what `oms resolve_shipment_statuses` runs) against the naive
one (bench/naive_resolution.py) at 10,000, on the same data.

Omnitron is `bench.fast_omnitron`, a minimal stand-in in its own process (real HTTP, Omnitron's wire
format, every order shipped), so that Omnitron is not what is measured; the time the cycle spends
waiting on it is measured and reported as its share. The Omnitron sandbox still serves the one
order the real code ingests and packs as the template; its rows are then copied N times with bulk
inserts (bench/fixtures.py), in slices, so memory does not grow with N.

Per run: seconds, shipments/s, SQL statements, the wait on Omnitron, the peak resident memory of this
process during the cycle above what it held before (sampled every 20 ms), the end state.
`python -m bench.resolution --db sqlite|postgres [--pg-url URL] [--quick] [--sizes 10000,100000]
[--large] [--naive-at 10000] [--profile N]`. `--large` (or BENCH_RESOLUTION_LARGE=1) adds 1,000,000
on PostgreSQL; `--profile N` profiles one more real cycle of N (cProfile), top entries written to
bench/results/resolution-profile-<db>.txt.
"""

import cProfile
import io
import os
import pstats
import threading
import time
from pathlib import Path

from bench.fast_omnitron import FastOmnitron
from bench.fixtures import OrderSpec, copy_order, delete_flow_rows, template_load
from bench.harness import (
    Backend,
    CpuWatch,
    arguments,
    marketplace_rows,
    omnitron_order_json,
    say,
    wait_for_quiet,
    write_result,
)
from bench.sandbox_proc import SandboxProcess

SIZES = [10_000, 100_000]
LARGE = 1_000_000
QUICK_SIZES = [200, 1000]
NAIVE_AT = 10_000
SEED_SLICE = 5000
FIRST_PK = 10_000_000
RESULTS_DIR = Path(__file__).resolve().parent / "results"


def _options(parser) -> None:
    parser.add_argument("--sizes", help="comma-separated numbers of shipments (default 10000,100000)")
    parser.add_argument("--large", action="store_true", help="also 1,000,000 (PostgreSQL only)")
    parser.add_argument("--naive-at", type=int, default=None, help="the size the naive cycle runs at")
    parser.add_argument("--profile", type=int, default=0, help="profile one more real cycle of this size")


class RssPeak:
    """The peak resident memory of this process while it runs, above what it held when started."""

    def __init__(self) -> None:
        self.start = self.peak = self._rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    @staticmethod
    def _rss() -> int:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self._rss())

    def stop(self) -> dict[str, float]:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._rss())
        return {"rss_before_mb": self.start / 2**20, "rss_peak_above_mb": (self.peak - self.start) / 2**20}


class TimedReader:
    """The product's Omnitron client, with the time spent waiting on Omnitron counted."""

    waited = 0.0

    def __init__(self, url: str, username: str, password: str) -> None:
        from oms.omnitron.client import OmnitronClient

        self.client = OmnitronClient(url, username, password)

    def orders_get_many(self, ids):
        began = time.perf_counter()
        try:
            return self.client.orders_get_many(ids)
        finally:
            TimedReader.waited += time.perf_counter() - began

    def order_get(self, pk):
        began = time.perf_counter()
        try:
            return self.client.order_get(pk)
        finally:
            TimedReader.waited += time.perf_counter() - began

    def close(self) -> None:
        self.client.close()


class StatementCount:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def specs_for(start: int, count: int) -> list[OrderSpec]:
    """What the stand-in answers for pks start..start+count-1 (see bench.fast_omnitron)."""
    return [
        OrderSpec(
            pk=pk,
            item_pks=[pk * 10 + n for n in (1, 2, 3)],
            tracking_number=f"7330{pk:012d}",
            number=f"TY-{pk}",
            extra={"id": f"TY-PKG-{pk}"},
        )
        for pk in range(start, start + count)
    ]


def seed(template, n: int) -> float:
    began = time.perf_counter()
    delete_flow_rows()
    for start in range(0, n, SEED_SLICE):
        copy_order(template, specs_for(FIRST_PK + start, min(SEED_SLICE, n - start)))
    return time.perf_counter() - began


def verify(n: int) -> dict[str, int]:
    """Rows in the state a full cycle must leave: everything shipped."""
    from oms.core.statuses import OrderStatus, PackageStatus, ShipmentStatus
    from oms.orders.models import Order, OrderItem
    from oms.packages.models import Package, PackageItem
    from oms.shipments.models import Shipment, ShipmentObservation
    from oms.transitions.models import StateTransitionLog

    found = {
        "shipments_shipped": Shipment.objects.filter(status=ShipmentStatus.SHIPPED).count(),
        "packages_shipped": Package.objects.filter(status=PackageStatus.SHIPPED).count(),
        "package_items_shipped": PackageItem.objects.filter(status=PackageStatus.SHIPPED).count(),
        "order_items_shipped": OrderItem.objects.filter(status=OrderStatus.SHIPPED).count(),
        "orders_shipped": Order.objects.filter(status=OrderStatus.SHIPPED).count(),
        "observations": ShipmentObservation.objects.count(),
        "transition_logs": StateTransitionLog.objects.filter(command="SHIPMENT_STATUS_RESOLUTION").count(),
    }
    expected = {key: (3 * n if "items" in key else n) for key in found}
    found["ok"] = int(all(found[key] == value for key, value in expected.items()))
    return found


def main() -> None:
    options = arguments("resolution", _options)
    db = options.db
    if options.sizes:
        sizes = [int(value) for value in options.sizes.split(",") if value.strip()]
    else:
        sizes = list(QUICK_SIZES if options.quick else SIZES)
    large = options.large or os.environ.get("BENCH_RESOLUTION_LARGE") == "1"
    if large and db == "postgres" and LARGE not in sizes:
        sizes.append(LARGE)
    naive_at = options.naive_at or (QUICK_SIZES[0] if options.quick else NAIVE_AT)
    with SandboxProcess() as sandbox, FastOmnitron() as standin:
        backend = Backend(
            "resolution",
            db,
            options.pg_url,
            extra_env={
                "OMNITRON_URL": sandbox.url,
                "OMNITRON_USERNAME": sandbox.username,
                "OMNITRON_PASSWORD": sandbox.password,
            },
        )
        try:
            rows = run(backend, sandbox, standin, sizes, naive_at, options.profile)
        finally:
            backend.close()
    database = rows.pop(0)["database"]
    write_result("resolution", db, {"database": database, "sizes": sizes, "naive_at": naive_at, "rows": rows})


def _template(sandbox: SandboxProcess):
    """One order ingested and packed by the real code, loaded as the template of the copies."""
    from django.core.management import call_command
    from django.utils import timezone

    from oms.omnitron.client import omnitron_client_get
    from oms.omnitron.mapping import order_from_json
    from oms.orders.services import order_ingest
    from oms.packages.models import Package
    from oms.packages.services import package_command_run

    channel, company = marketplace_rows()
    call_command("setup_marketplace", channel=channel.pk, cargo_company=company.pk, stdout=io.StringIO())
    order = order_ingest(
        data=order_from_json(omnitron_order_json(1, items=3)),
        client_factory=omnitron_client_get,
        now=timezone.now(),
    ).order
    package = Package.objects.get(order=order)
    package_command_run(package_id=package.pk, slug="CHANNEL_BASED_COMPLETE_PACKAGING", now=timezone.now())
    template = template_load(order.pk)
    if template.shipment is None:
        raise SystemExit("packaging the template order made no shipment")
    return template


def one_cycle(implementation: str, standin: FastOmnitron, profiler: cProfile.Profile | None = None) -> dict:
    from django.db import connection
    from django.utils import timezone

    from bench.naive_resolution import naive_resolve
    from oms.omnitron.client import OmnitronClient
    from oms.shipments.resolution import shipments_resolve

    def factory() -> TimedReader:
        return TimedReader(standin.url, standin.username, standin.password)

    OmnitronClient.token_cache_clear()
    TimedReader.waited = 0.0
    standin.clear()
    statements = StatementCount()
    watch = CpuWatch()
    memory = RssPeak()
    began = time.perf_counter()
    with connection.execute_wrapper(statements):
        if profiler:
            profiler.enable()
        if implementation == "oms":
            summary = shipments_resolve(client_factory=factory, now_fn=timezone.now, due_only=False).summary()
        else:
            client = factory()
            try:
                summary = naive_resolve(client=client, now=timezone.now())
            finally:
                client.close()
        if profiler:
            profiler.disable()
    seconds = time.perf_counter() - began
    counts = standin.counts()
    return {
        "seconds": seconds,
        "statements": statements.count,
        # The client's reads: the HTTP round trips and mapping the answers into OmnitronOrders.
        "omnitron_read_seconds": TimedReader.waited,
        "omnitron_read_share": TimedReader.waited / seconds,
        # The stand-in's own time answering (its process): what Omnitron itself costs the cycle.
        "omnitron_share": counts["server_busy_seconds"] / seconds,
        "http_requests": sum(value for key, value in counts.items() if key != "server_busy_seconds"),
        "http_requests_by_kind": counts,
        "summary": summary,
        **memory.stop(),
        **watch.stop(),
    }


def run(
    backend: Backend,
    sandbox: SandboxProcess,
    standin: FastOmnitron,
    sizes: list[int],
    naive_at: int,
    profile: int,
) -> list[dict]:
    db = backend.db
    template = _template(sandbox)
    rows: list[dict] = [{"database": backend.describe()}]
    say(f"[resolution/{db}] stand-in at {standin.url}; sizes {sizes}; naive at {naive_at}")
    plan = [(n, "oms") for n in sizes] + [(naive_at, "naive")]
    times: dict[tuple[int, str], float] = {}
    for n, implementation in plan:
        seeding = seed(template, n)
        backend.analyze()
        others_before = wait_for_quiet(f"{implementation} N={n}", max_wait=5)
        row = {
            "n": n,
            "implementation": implementation,
            "seed_seconds": seeding,
            **one_cycle(implementation, standin),
        }
        row["check"] = verify(n)
        row["shipments_per_s"] = n / row["seconds"]
        row["others_before_cores"] = others_before
        times[(n, implementation)] = row["seconds"]
        rows.append(row)
        say(
            f"  [resolution/{db}] N={n:>7} {implementation:>5}: {row['seconds']:8.2f} s, "
            f"{row['shipments_per_s']:6.0f} shipments/s, {row['statements']} statements, "
            f"stand-in {100 * row['omnitron_share']:.0f}% / reads {100 * row['omnitron_read_share']:.0f}% "
            "of the cycle, "
            f"memory +{row['rss_peak_above_mb']:.0f} MB (seeded in {seeding:.0f} s)"
            + ("" if row["check"]["ok"] else f" -- WRONG END STATE {row['check']}")
        )
    if (naive_at, "oms") in times:
        ratio = times[(naive_at, "naive")] / times[(naive_at, "oms")]
        say(f"  [resolution/{db}] N={naive_at}: the real cycle is {ratio:.1f}x as fast as the naive one")
    if profile:
        _profile(template, standin, profile, db)
    delete_flow_rows()
    return rows


def _profile(template, standin: FastOmnitron, n: int, db: str) -> None:
    seed(template, n)
    profiler = cProfile.Profile()
    one_cycle("oms", standin, profiler)
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    out.write(f"# cProfile of one real resolution cycle of {n} shipments on {db}\n")
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(25)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"resolution-profile-{db}.txt"
    path.write_text(out.getvalue())
    say(f"[resolution/{db}] profile written to {path}")


if __name__ == "__main__":
    main()
