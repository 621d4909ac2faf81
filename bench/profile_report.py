"""The profile section of bench/README.md, from bench/results/profile-<label>-<db>.json (bench/profile)."""

import json
from typing import Any

from bench.harness import BENCH_DIR, RESULTS_DIR

# Profiles kept as the record of where the work started (committed; bench/run clears bench/results).
BASELINE_DIR = BENCH_DIR / "baseline"

DATABASES = [("sqlite", "SQLite"), ("postgres", "PostgreSQL")]

PROFILE_TOP = 10
# Frames every request passes through (the WSGI handler, the middleware chain, the view wrapper):
# left out of the cumulative list, which would otherwise start with them.
PLUMBING = (
    "bench/profile.py",
    "django/core/handlers/",
    "django/utils/deprecation.py",
    "whitenoise/middleware.py",
    "django/views/decorators/csrf.py",
    "django/views/generic/base.py",
    "oms/middleware.py",
)


def _profiles(db: str) -> list[dict[str, Any]]:
    """The profiles of `db`: the committed baseline ("before") first, then this run's."""
    paths = [*BASELINE_DIR.glob(f"profile-*-{db}.json"), *RESULTS_DIR.glob(f"profile-*-{db}.json")]
    found = [json.loads(path.read_text()) for path in sorted(paths)]
    return sorted(found, key=lambda data: (data["label"] != "before", data["measured_at"]))


def profile_section() -> str:
    parts: list[str] = []
    for db, label in DATABASES:
        profiles = _profiles(db)
        if not profiles:
            continue
        parts.append(f"#### {label}\n")
        parts.append(
            "| profile | CONN_MAX_AGE | path | ms per request (unprofiled) | SQL statements "
            "| new connections |"
        )
        parts.append("|---|---:|---|---:|---:|---:|")
        for data in profiles:
            for path in data["paths"]:
                parts.append(
                    f"| {data['label']} ({data['measured_at'][:16]}Z, {data.get('code', '-')}) | "
                    f"{data['conn_max_age']} | "
                    f"{path['path']} | "
                    f"{path['ms_per_request']:.2f} | {path['statements_per_request']:g} | "
                    f"{path['connections_per_request']:g} |"
                )
        parts.append("")
        for index in range(len(profiles[0]["paths"])):
            name = profiles[0]["paths"][index]["path"]
            parts.append(f"**{name}**, top {PROFILE_TOP} by own time, per request (ms under the profiler):\n")
            parts.append("| profile | own ms | cumulative ms | calls | function |")
            parts.append("|---|---:|---:|---:|---|")
            for data in profiles:
                for row in data["paths"][index]["top_own"][:PROFILE_TOP]:
                    parts.append(
                        f"| {data['label']} | {row['own_ms']:.3f} | {row['cumulative_ms']:.3f} | "
                        f"{row['calls']:g} | `{row['function']}` |"
                    )
            parts.append("")
            parts.append(f"Where it goes (cumulative, request plumbing left out), top {PROFILE_TOP}:\n")
            parts.append("| profile | cumulative ms | calls | function |")
            parts.append("|---|---:|---:|---|")
            for data in profiles:
                rows = [
                    row
                    for row in data["paths"][index]["top_cumulative"]
                    if not any(marker in row["function"] for marker in PLUMBING)
                ]
                for row in rows[:PROFILE_TOP]:
                    parts.append(
                        f"| {data['label']} | {row['cumulative_ms']:.3f} | {row['calls']:g} | "
                        f"`{row['function']}` |"
                    )
            parts.append("")
    return "\n".join(parts) or "(no profile in bench/results/: run `bench/profile`)"
