"""Resolution: the time of one full shipment status resolution cycle for N packed shipments, the real
one (`shipments_resolve(due_only=False)`, what `oms resolve_shipment_statuses` runs) against the
naive one (bench/naive_resolution.py), on the same data, against the Omnitron sandbox as a real HTTP
server in its own process.

For each N: N orders in the sandbox with status 500 (shipped) and 3 items; in OMS, one order ingested
and packed by the real code, copied N times with bulk inserts (bench/fixtures.py): orders preparing,
packages packed, shipments created and followed. Every shipment therefore moves to shipped. Each
implementation runs on a fresh copy of the same rows. Counts HTTP requests from the sandbox's log.
`python -m bench.resolution --db sqlite|postgres [--pg-url URL] [--quick] [--sizes 100,500]`.
"""

import io
import os
import time

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

SIZES = [100, 500, 1000, 2000, 5000]
QUICK_SIZES = [50, 200]
IMPLEMENTATIONS = ("oms", "naive")
# Seconds one database's resolution benchmark may take (bench/run must stay near 10 minutes on a
# 2-core machine); a size that would not fit is skipped and reported as such.
BUDGET_SECONDS = float(os.environ.get("BENCH_RESOLUTION_BUDGET", "120"))


def _sizes(parser) -> None:
    parser.add_argument(
        "--sizes", help="comma-separated numbers of shipments (default 100,500,1000,2000,5000)"
    )


def _plan(n: int, per_shipment: dict[str, float], spent: float) -> list[str]:
    """The implementations to run at size n within the budget (both, the real one only, or none).

    Predicted from the previous size, with data set-up counted as about half a naive cycle.
    """
    if not per_shipment:
        return list(IMPLEMENTATIONS)
    real = per_shipment.get("oms", 0.0) * n
    naive = per_shipment.get("naive", per_shipment.get("oms", 0.0) * 4) * n
    if spent + 1.5 * (real + naive) <= BUDGET_SECONDS:
        return list(IMPLEMENTATIONS)
    if spent + 1.5 * real <= BUDGET_SECONDS:
        return ["oms"]
    return []


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
    options = arguments("resolution", _sizes)
    if options.sizes:
        sizes = [int(value) for value in options.sizes.split(",") if value.strip()]
    else:
        sizes = QUICK_SIZES if options.quick else SIZES
    db = options.db
    with SandboxProcess() as sandbox:
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
            rows = run(backend, sandbox, sizes)
        finally:
            backend.close()
    write_result(
        "resolution",
        db,
        {"database": rows.pop(0)["database"], "sizes": sizes, "rows": rows},
    )


def run(backend: Backend, sandbox: SandboxProcess, sizes: list[int]) -> list[dict]:
    from django.core.management import call_command
    from django.utils import timezone

    from bench.naive_resolution import naive_resolve
    from oms.omnitron.client import OmnitronClient, omnitron_client_get
    from oms.omnitron.mapping import order_from_json
    from oms.orders.services import order_ingest
    from oms.packages.models import Package
    from oms.packages.services import package_command_run
    from oms.shipments.resolution import shipments_resolve

    db = backend.db
    channel, company = marketplace_rows()
    call_command("setup_marketplace", channel=channel.pk, cargo_company=company.pk, stdout=io.StringIO())
    # The template: one order ingested and packed by the real code.
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
    delete_flow_rows()

    rows: list[dict] = [{"database": backend.describe()}]
    say(f"[resolution/{db}] sandbox at {sandbox.url}; sizes {sizes}; time budget {BUDGET_SECONDS:.0f} s")
    begun = time.monotonic()
    per_shipment: dict[str, float] = {}  # seconds per shipment at the previous size
    for n in sizes:
        started = time.monotonic()
        planned = _plan(n, per_shipment, spent=time.monotonic() - begun)
        if not planned:
            for implementation in IMPLEMENTATIONS:
                rows.append({"n": n, "implementation": implementation, "skipped": True})
            say(f"  [resolution/{db}] N={n:>5}: skipped (it would not fit the time budget)")
            continue
        specs = [
            OrderSpec.from_omnitron(data)
            for data in sandbox.create_orders(n, channel=42, cargo_company=7, item_count=3, status="500")
        ]
        times = {}
        for implementation in IMPLEMENTATIONS:
            if implementation not in planned:
                rows.append({"n": n, "implementation": implementation, "skipped": True})
                say(
                    f"  [resolution/{db}] N={n:>5} {implementation:>5}: skipped "
                    "(it would not fit the time budget)"
                )
                continue
            delete_flow_rows()
            copy_order(template, specs)
            backend.analyze()
            sandbox.clear_requests()
            OmnitronClient.token_cache_clear()  # both log in once, within the timed cycle
            others_before = wait_for_quiet(f"{implementation} N={n}", max_wait=5)
            watch = CpuWatch()
            began = time.perf_counter()
            if implementation == "oms":
                summary = shipments_resolve(
                    client_factory=omnitron_client_get, now_fn=timezone.now, due_only=False
                ).summary()
            else:
                client = omnitron_client_get()
                try:
                    summary = naive_resolve(client=client, now=timezone.now())
                finally:
                    client.close()
            seconds = time.perf_counter() - began
            cpu = watch.stop()
            requests = sandbox.request_counts()
            check = verify(n)
            times[implementation] = seconds
            per_shipment[implementation] = seconds / n
            row = {
                "n": n,
                "implementation": implementation,
                "seconds": seconds,
                "shipments_per_s": n / seconds,
                "http_requests": sum(requests.values()),
                "http_requests_by_kind": requests,
                "summary": summary,
                "check": check,
                "others_before_cores": others_before,
                **cpu,
            }
            rows.append(row)
            say(
                f"  [resolution/{db}] N={n:>5} {implementation:>5}: {seconds:7.2f} s, "
                f"{n / seconds:6.0f} shipments/s, {row['http_requests']:>5} HTTP requests to Omnitron"
                f" ({', '.join(f'{k}: {v}' for k, v in sorted(requests.items()))})"
                + ("" if check["ok"] else f" -- WRONG END STATE {check}")
                + (
                    f"; other processes used {cpu['cpu_others_cores']:.2f} cores"
                    if cpu["cpu_others_cores"] >= 0.1
                    else ""
                )
            )
        if len(times) == len(IMPLEMENTATIONS):
            say(
                f"  [resolution/{db}] N={n:>5}: the real cycle is "
                f"{times['naive'] / times['oms']:.1f}x as fast as the naive one "
                f"(data set-up {time.monotonic() - started - sum(times.values()):.1f} s)"
            )
    delete_flow_rows()
    return rows


if __name__ == "__main__":
    main()
