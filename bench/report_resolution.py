"""The README's resolution-at-scale and replay sections, from bench/results/resolution-*.json and
bench/results/replay.json (bench/report calls these; they print nothing themselves)."""

import json
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
DATABASES = (("sqlite", "SQLite"), ("postgres", "PostgreSQL"))


def _load(name: str) -> dict[str, Any] | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def scale_table() -> str:
    """Per database and N: time, rate, statements, Omnitron's share, memory, set-up time."""
    lines = [
        "| database | N | cycle | shipments/s | requests to Omnitron | SQL statements | stand-in's share "
        "| client reads' share | peak memory above start | seeding |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for db, label in DATABASES:
        data = _load(f"resolution-{db}")
        if data is None:
            lines.append(f"| {label} | not run | | | | | | | | |")
            continue
        for row in data["rows"]:
            if row.get("skipped") or "statements" not in row:
                continue
            name = "naive" if row["implementation"] == "naive" else "real"
            lines.append(
                f"| {label} | {row['n']:,} ({name}) | {row['seconds']:.1f} s | {row['shipments_per_s']:,.0f} "
                f"| {row.get('http_requests', '-')} | {row['statements']:,} "
                f"| {100 * row['omnitron_share']:.0f}% | {100 * row.get('omnitron_read_share', 0):.0f}% "
                f"| {row['rss_peak_above_mb']:.0f} MB | {row['seed_seconds']:.0f} s |"
            )
    return "\n".join(lines)


def replay_table() -> str:
    data = _load("replay")
    if data is None:
        return "(not run: `uv run python -m bench.replay`)"
    lines = [
        f"{data['shipments']:,} shipments (the budgeted filler simulated at "
        f"{data['filler_shipments']:,}, its requests scaled down in proportion; see `bench/replay.py`).",
        "",
        "| policy | Omnitron requests per shipment lifetime | latency p50 | latency p95 | latency max "
        "| status changes |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for row in data["rows"]:
        lines.append(
            f"| {row['policy']} | {row['requests_per_shipment']:,.2f} "
            f"| {_minutes(row['latency_p50_minutes'])} | {_minutes(row['latency_p95_minutes'])} "
            f"| {_minutes(row['latency_max_minutes'])} "
            f"| {row['status_changes']:,} |"
        )
    lines += ["", "![Detection latency against Omnitron requests](replay.png)"]
    return "\n".join(lines)


def _minutes(value: float) -> str:
    return f"{value * 60:.0f} s" if value < 1 else f"{value:.1f} min"
