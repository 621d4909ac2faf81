"""Bulk packing: 500 packages packed with one `POST /api/v1/oms/packages/bulk-command/` against the
same 500 packages' worth of single `POST /api/v1/oms/packages/{id}/command/` calls, on the same
server in the same run.

Set-up as bench/packaging.py (marketplace rows, `oms setup_marketplace`, one ingested order copied
into waiting packages). Each round packs three fresh slices of 500 waiting packages: one bulk call;
500 single calls one after another from one client (keep-alive), what a packing station or a script
does; and 500 single calls from 8 clients at once. Rounds alternate, and every package is checked
packed afterwards. `python -m bench.bulk --db sqlite|postgres [--pg-url URL] [--quick]`.
"""

import statistics
import threading
import time

import httpx

from bench.harness import (
    Backend,
    Gunicorn,
    arguments,
    http_json,
    marketplace_rows,
    omnitron_order_json,
    say,
    staff_token,
    wait_for_quiet,
    write_result,
)
from bench.packaging import COMMAND_BODY, Pool, waiting_ids

BATCH = 500
CLIENTS = 8
TARGET_SPEEDUP = 3.0


def _singles(url: str, token: str, ids: list[int], clients: int) -> float:
    """Seconds to pack `ids` with one single-command call each, from `clients` keep-alive clients."""
    failures: list[str] = []
    chunks = [ids[n::clients] for n in range(clients)]

    def work(chunk: list[int]) -> None:
        with httpx.Client(headers={"Authorization": f"Token {token}"}, timeout=60) as client:
            for package_id in chunk:
                response = client.post(f"{url}/api/v1/oms/packages/{package_id}/command/", json=COMMAND_BODY)
                if response.status_code != 204:
                    failures.append(f"{package_id}: {response.status_code} {response.text[:200]}")

    threads = [threading.Thread(target=work, args=(chunk,)) for chunk in chunks]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    if failures:
        raise SystemExit(f"single commands failed: {failures[:3]}")
    return elapsed


def _bulk(url: str, token: str, ids: list[int]) -> float:
    with httpx.Client(headers={"Authorization": f"Token {token}"}, timeout=600) as client:
        client.get(f"{url}/api/v1/oms/channels/")  # the same warm connection the singles have
        began = time.perf_counter()
        response = client.post(
            f"{url}/api/v1/oms/packages/bulk-command/", json={**COMMAND_BODY, "packages": ids}
        )
        elapsed = time.perf_counter() - began
    body = response.json()
    if response.status_code != 200 or body.get("done") != len(ids):
        raise SystemExit(f"bulk command failed: {response.status_code} {str(body)[:300]}")
    return elapsed


def main() -> None:
    options = arguments("bulk")
    rounds = 1 if options.quick else 3
    batch = 100 if options.quick else BATCH
    db = options.db
    backend = Backend("bulk", db, options.pg_url)
    try:
        import io

        from django.core.management import call_command
        from django.utils import timezone

        from oms.core.statuses import PackageStatus
        from oms.omnitron.client import omnitron_client_get
        from oms.omnitron.mapping import order_from_json
        from oms.orders.services import order_ingest
        from oms.packages.models import Package

        token = staff_token()
        channel, company = marketplace_rows()
        call_command("setup_marketplace", channel=channel.pk, cargo_company=company.pk, stdout=io.StringIO())
        template = order_ingest(
            data=order_from_json(omnitron_order_json(1, items=3)),
            client_factory=omnitron_client_get,
            now=timezone.now(),
        ).order
        pool = Pool(template.pk)
        pool.add(batch * 3 * (rounds + 1))
        say(f"[bulk/{db}] {len(waiting_ids())} waiting packages (3 items each)")

        times: dict[str, list[float]] = {"bulk": [], "single": [], "parallel": []}
        with Gunicorn(f"bulk-{db}") as server:
            status, body = http_json(
                "POST",
                f"{server.url}/api/v1/oms/packages/bulk-command/",
                token,
                {**COMMAND_BODY, "packages": [Package.objects.get(order=template).pk]},
            )
            if status != 200 or body["done"] != 1:
                raise SystemExit(f"bulk check failed: {status} {body}")
            ids = waiting_ids()
            # Warm-up: every worker has served both endpoints before anything is timed.
            _singles(server.url, token, ids[: 2 * CLIENTS], CLIENTS)
            _bulk(server.url, token, ids[2 * CLIENTS : 2 * CLIENTS + 20])
            ids = ids[2 * CLIENTS + 20 :]
            quiet_before = wait_for_quiet("bulk")
            say(f"[bulk/{db}] measuring: {rounds} rounds of {batch} packages each way")
            for index in range(rounds):
                base = index * 3 * batch
                slices = {
                    "bulk": ids[base : base + batch],
                    "single": ids[base + batch : base + 2 * batch],
                    "parallel": ids[base + 2 * batch : base + 3 * batch],
                }
                times["bulk"].append(_bulk(server.url, token, slices["bulk"]))
                times["single"].append(_singles(server.url, token, slices["single"], 1))
                times["parallel"].append(_singles(server.url, token, slices["parallel"], CLIENTS))
                say(
                    f"  round {index + 1}: bulk {times['bulk'][-1]:.2f} s, single calls "
                    f"{times['single'][-1]:.2f} s (1 client), "
                    f"{times['parallel'][-1]:.2f} s ({CLIENTS} clients)"
                )
                packed = set(
                    Package.objects.filter(pk__in=[pk for part in slices.values() for pk in part])
                    .values_list("status", flat=True)
                    .distinct()
                )
                if packed != {PackageStatus.PACKED}:
                    raise SystemExit(f"not every package was packed: statuses {packed}")

        median = {key: statistics.median(values) for key, values in times.items()}
        speedup = median["single"] / median["bulk"]
        speedup_parallel = median["parallel"] / median["bulk"]
        met = "MET" if speedup >= TARGET_SPEEDUP else "MISSED"
        say(
            f"[bulk/{db}] {batch} packages: bulk {median['bulk']:.2f} s ({batch / median['bulk']:.0f}/s), "
            f"single calls {median['single']:.2f} s ({batch / median['single']:.0f}/s): {speedup:.1f}x "
            f"(target >= {TARGET_SPEEDUP:.0f}x) {met}; {CLIENTS} clients {median['parallel']:.2f} s: "
            f"{speedup_parallel:.1f}x"
        )
        write_result(
            "bulk",
            db,
            {
                "database": backend.describe(),
                "broker": backend.broker,
                "batch": batch,
                "rounds": rounds,
                "clients": CLIENTS,
                "times": times,
                "median": median,
                "speedup": speedup,
                "speedup_parallel": speedup_parallel,
                "target_speedup": TARGET_SPEEDUP,
                "others_before_cores": quiet_before,
            },
        )
    finally:
        backend.close()


if __name__ == "__main__":
    main()
