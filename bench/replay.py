"""Replay of a 3-day delivery curve on a virtual clock: Omnitron requests against detection latency.

N shipments are packed over one day; each ships 2-30 h after packing, some see an attempted
delivery, all are delivered 1-3 days after packing (at least an hour after shipping). Resolution
runs once a minute of virtual time, under one of three policies:

- naive: every followed shipment read every minute, one request per shipment (`GET .../{pk}/`);
- doubling: today's schedule, due shipments only, 500 per request (the real `next_check_delay`);
- budgeted: OMS_OMNITRON_READS_PER_MINUTE requests a minute, each filled to 500: due shipments
  first, then the fillable ones (due later than the claim lease) by the real `fill_priority`; every
  check reschedules as the real code does (`next_check_delay`).

The scheduling functions are imported from `oms.shipments.resolution.schedule`, not copied (Django
is set up on the default settings; no database is used). Detection latency is, for each status
change, the time from the change in Omnitron to the first check that sees it. The budgeted policy
is the same in N when the request size scales with N (checks per shipment-minute and requests per
shipment stay the same), so budgets are given per 100,000 shipments and it runs at
--filler-shipments (default 5,000) with requests of 500 * 5,000 / 100,000 = 25 ids, the
requests counted as serving 100,000; `--filler-shipments 100000` runs it at full size (slow: pure
Python checks and ranks every fillable shipment every minute).
`python -m bench.replay [--shipments 100000] [--filler-shipments 5000] [--budgets 5,10,20]`.
"""

import argparse
import heapq
import json
import math
import os
import random
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
BATCH = 500
FULL_SIZE = 100_000
SHIPPED, ATTEMPTED, DELIVERED = 500, 540, 550
CREATED_S, SHIPPED_S, ATTEMPTED_S, DELIVERED_S = 500, 700, 720, 800
SHIPMENT_STATUS = {SHIPPED: SHIPPED_S, ATTEMPTED: ATTEMPTED_S, DELIVERED: DELIVERED_S}


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms.settings.base")
    os.environ.setdefault("OMS_SECRET_KEY", "replay-needs-no-secret")
    os.environ.setdefault("OMS_DATA_DIR", tempfile.mkdtemp(prefix="oms-replay-"))
    import django

    django.setup()


@dataclass
class Parcel:
    packed: float  # minutes on the virtual clock
    events: list[tuple[float, int]]  # (minute, Omnitron status), in order
    status: int = CREATED_S  # the shipment status OMS knows
    unchanged: int = 0
    next_check: float = 0.0  # due at once after packing (no next check time)
    last_check: float | None = None
    seen: int = 0  # events detected so far
    latencies: list[float] = field(default_factory=list)


def curve(n: int, seed: int = 7, attempted_share: float = 0.15) -> list[Parcel]:
    rng = random.Random(seed)
    parcels = []
    for _ in range(n):
        packed = rng.uniform(0, 24 * 60)
        shipped = packed + rng.uniform(2 * 60, 30 * 60)
        delivered = max(packed + rng.uniform(24 * 60, 72 * 60), shipped + 60)
        events = [(shipped, SHIPPED)]
        if rng.random() < attempted_share:
            events.append((rng.uniform(shipped + 30, delivered - 10), ATTEMPTED))
        events.append((delivered, DELIVERED))
        parcels.append(Parcel(packed=packed, events=events, next_check=packed))
    return parcels


def check(parcel: Parcel, now: float, next_check_delay) -> bool:
    """One check at `now`: what Omnitron says then, forward only; reschedules as the real code does."""
    moved = False
    while parcel.seen < len(parcel.events) and parcel.events[parcel.seen][0] <= now:
        parcel.latencies.append(now - parcel.events[parcel.seen][0])
        target = SHIPMENT_STATUS[parcel.events[parcel.seen][1]]
        if target > parcel.status:
            parcel.status = target
            moved = True
        parcel.seen += 1
    parcel.unchanged = 0 if moved else parcel.unchanged + 1
    parcel.last_check = now
    parcel.next_check = now + next_check_delay(parcel.unchanged).total_seconds() / 60
    return parcel.status == DELIVERED_S


def run_naive(parcels: list[Parcel]) -> dict:
    """Every minute, every followed shipment: closed form (a check at every whole minute)."""
    requests = 0.0
    for parcel in parcels:
        for when, _ in parcel.events:
            parcel.latencies.append(math.ceil(when) - when)
        requests += math.ceil(parcel.events[-1][0]) - math.ceil(parcel.packed) + 1
    return summary("naive 60 s poller", parcels, requests)


def run_scheduled(
    parcels: list[Parcel], *, budget: int, lease_minutes: float, batch: int = BATCH, full_size: int = 0
) -> dict:
    """Doubling schedule (budget 0: due ones only, no cap) or the budgeted filler, minute by minute."""
    from oms.shipments.resolution.schedule import fill_priority, next_check_delay

    order = sorted(range(len(parcels)), key=lambda i: parcels[i].packed)
    arrived = 0
    due: list[tuple[float, int]] = []  # (next check, index); stale entries skipped
    followed: set[int] = set()
    requests = 0
    minute = 0
    began = time.monotonic()
    while arrived < len(order) or followed:
        minute += 1
        while arrived < len(order) and parcels[order[arrived]].packed <= minute:
            index = order[arrived]
            followed.add(index)
            heapq.heappush(due, (parcels[index].next_check, index))
            arrived += 1
        picked: list[int] = []
        capacity = None
        if budget:
            capacity = budget * batch
        while due and due[0][0] <= minute and (capacity is None or len(picked) < capacity):
            when, index = heapq.heappop(due)
            if index in followed and parcels[index].next_check == when:
                picked.append(index)
        if budget and len(picked) < capacity:
            taken = set(picked)
            horizon = minute + lease_minutes

            def scored(horizon=horizon, taken=taken, minute=minute):
                for index in followed:
                    parcel = parcels[index]
                    if index in taken or parcel.next_check <= horizon:
                        continue
                    since = minute - (parcel.last_check if parcel.last_check is not None else parcel.packed)
                    priority = fill_priority(
                        status=parcel.status,
                        age_hours=(minute - parcel.packed) / 60,
                        since_check_hours=since / 60,
                    )
                    if priority > 0.0:
                        yield priority, index

            picked += [index for _, index in heapq.nlargest(capacity - len(picked), scored())]
        if not picked:
            continue
        requests += math.ceil(len(picked) / batch)
        for index in picked:
            parcel = parcels[index]
            if check(parcel, minute, next_check_delay):
                followed.discard(index)
            else:
                heapq.heappush(due, (parcel.next_check, index))
    label = f"budgeted filler, {budget}/min" if budget else "doubling schedule (today)"
    result = summary(label, parcels, requests)
    if full_size:  # a scaled-down run: the same requests serve full_size shipments
        result["requests_per_shipment"] = requests / full_size
        result["batch"] = batch
    result["simulated_minutes"] = minute
    result["wall_seconds"] = time.monotonic() - began
    result["budget_per_minute"] = budget
    return result


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def summary(label: str, parcels: list[Parcel], requests: float) -> dict:
    latencies = [value for parcel in parcels for value in parcel.latencies]
    return {
        "policy": label,
        "shipments": len(parcels),
        "requests": requests,
        "requests_per_shipment": requests / len(parcels),
        "latency_p50_minutes": percentile(latencies, 0.50),
        "latency_p95_minutes": percentile(latencies, 0.95),
        "latency_max_minutes": max(latencies),
        "status_changes": len(latencies),
    }


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 4.5))
    for row in rows:
        x = row["requests_per_shipment"]
        axes.scatter([x, x], [row["latency_p50_minutes"], row["latency_p95_minutes"]], marker="o")
        axes.annotate(
            row["policy"],
            (x, row["latency_p95_minutes"]),
            fontsize=7,
            xytext=(4, 4),
            textcoords="offset points",
        )
        axes.plot(
            [x, x], [row["latency_p50_minutes"], row["latency_p95_minutes"]], color="grey", linewidth=0.8
        )
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.axhline(5, color="red", linewidth=0.6, linestyle="--")
    axes.axvline(1, color="red", linewidth=0.6, linestyle="--")
    axes.set_xlabel("Omnitron requests per shipment lifetime")
    axes.set_ylabel("detection latency, minutes (p50 to p95)")
    axes.set_title("Replay of a 3-day delivery curve: latency against requests")
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.replay")
    parser.add_argument("--shipments", type=int, default=100_000)
    parser.add_argument("--filler-shipments", type=int, default=5_000)
    parser.add_argument("--budgets", default="5,10,20", help="reads per minute per 100,000 shipments")
    parser.add_argument("--quick", action="store_true")
    options = parser.parse_args()
    _django()
    from django.conf import settings

    n = 2000 if options.quick else options.shipments
    filler_n = min(n, 1000 if options.quick else options.filler_shipments)
    lease = settings.OMS_TRACKING_CLAIM_LEASE_SECONDS / 60
    rows = [run_naive(curve(n))]
    print(rows[-1], flush=True)
    rows.append(run_scheduled(curve(n), budget=0, lease_minutes=lease))
    print(rows[-1], flush=True)
    for budget in [int(value) for value in options.budgets.split(",") if value.strip()]:
        # Scaled down: the batch shrinks with N (500 per FULL_SIZE), the budget stays.
        batch = max(1, round(BATCH * filler_n / FULL_SIZE))
        row = run_scheduled(
            curve(filler_n),
            budget=budget,
            lease_minutes=lease,
            batch=batch,
            full_size=filler_n * BATCH // batch,
        )
        row["budget_per_100000"] = budget
        row["policy"] = f"budgeted filler, {budget}/min per 100,000"
        rows.append(row)
        print(row, flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "replay.json").write_text(
        json.dumps({"shipments": n, "filler_shipments": filler_n, "rows": rows}, indent=2) + "\n"
    )
    plot(rows, HERE / "replay.png")
    print(f"written {RESULTS / 'replay.json'} and {HERE / 'replay.png'}")


if __name__ == "__main__":
    main()
