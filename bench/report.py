"""Write bench/README.md (from bench/README.template.md) and bench/resolution.png from bench/results/*.json.

`python -m bench.report` (bench/run calls it at the end; bench/report runs it alone).
"""

import json
import os
import platform
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from bench import report_resolution
from bench.harness import BENCH_DIR, RESULTS_DIR, ROOT

DATABASES = [("sqlite", "SQLite"), ("postgres", "PostgreSQL")]
TEMPLATE = BENCH_DIR / "README.template.md"
README = BENCH_DIR / "README.md"
PLOT = BENCH_DIR / "resolution.png"
BUSY_CORES = 0.3  # other processes using more than this during a measurement: flagged


def _load(part: str, db: str) -> dict[str, Any] | None:
    path = RESULTS_DIR / f"{part}-{db}.json"
    return json.loads(path.read_text()) if path.exists() else None


def _run(argv: list[str]) -> str:
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=20, check=False).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def machine() -> list[tuple[str, str]]:
    cpu = ""
    with open("/proc/cpuinfo") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as handle:
        kib = int(next(line for line in handle if line.startswith("MemTotal")).split()[1])
    os_name = platform.platform()
    if Path("/etc/os-release").exists():
        fields = dict(
            line.split("=", 1) for line in Path("/etc/os-release").read_text().splitlines() if "=" in line
        )
        os_name = fields.get("PRETTY_NAME", os_name).strip('"')
    if Path("/etc/debian_version").exists():
        os_name += f" ({Path('/etc/debian_version').read_text().strip()})"
    postgres = ""
    for db in ("postgres",):
        for part in ("ingest", "packaging", "resolution"):
            data = _load(part, db)
            if data and data.get("database", "").startswith("PostgreSQL"):
                postgres = data["database"].split(",")[0]
                break
    pg_bin = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin")) / "postgres"
    if not postgres and pg_bin.exists():
        postgres = _run([str(pg_bin), "--version"]) + " (installed)"
    import sqlite3

    import django
    import gunicorn

    commit = _run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
    dirty = _run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"])
    wrk = (
        _run(["wrk", "--version"]).splitlines()[0].split(" Copyright")[0]
        if shutil.which("wrk")
        else "not installed"
    )
    return [
        ("CPU", f"{cpu}, {os.cpu_count()} cores (shared with whatever else runs)"),
        ("RAM", f"{kib / 1024 / 1024:.1f} GiB"),
        ("OS", f"{os_name}, kernel {platform.release()}"),
        ("Python", platform.python_version()),
        ("PostgreSQL", postgres or "-"),
        ("SQLite", sqlite3.sqlite_version),
        ("Django / gunicorn", f"{django.get_version()} / {gunicorn.__version__}"),
        ("load generator", wrk),
        ("code", f"commit {commit}" + (" with uncommitted changes" if dirty else "") if commit else "-"),
    ]


def _f(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}"


def _cores(result: dict[str, Any]) -> str:
    others = result.get("cpu_others_cores", 0.0)
    return f"{others:.2f}" + (" ⚠" if others > BUSY_CORES else "")


def throughput_table() -> tuple[str, list[str]]:
    header = (
        "| database | figure | rate | no-op (same run) | ratio (range over rounds) | target "
        "| other load (cores) |\n"
        "|---|---|---:|---:|---:|---:|---:|"
    )
    rows: list[str] = []
    notes: list[str] = []
    for db, label in DATABASES:
        for part, figure, unit in (
            ("ingest", "ingestion", "orders/s"),
            ("packaging", "packaging", "commands/s"),
        ):
            data = _load(part, db)
            if data is None:
                rows.append(f"| {label} | {figure} | not run | | | | |")
                continue
            measured = data[part]
            noop = data["noop"]
            met = "✅ met" if data["ratio"] >= data["target_ratio"] else "❌ missed"
            detail = data.get("ratio_detail")
            spread = f" ({detail['min']:.2f} to {detail['max']:.2f})" if detail else ""
            rows.append(
                f"| {label} | {figure} | **{_f(measured['rate'])}** {unit} | {_f(noop['rate'])} req/s | "
                f"**{data['ratio']:.2f}**{spread} | ≥ {data['target_ratio']} ({met}) | "
                f"{_cores(measured)} / {_cores(noop)} |"
            )
            if not data.get("consistent", True):
                notes.append(f"{label} {figure}: the rows written do not match the answers counted.")
            if measured.get("errors_status"):
                notes.append(f"{label} {figure}: {measured['errors_status']} requests failed.")
            if measured.get("loadgen") == "python":
                notes.append(f"{label} {figure}: measured with the Python load generator (wrk was missing).")
    return header + "\n" + "\n".join(rows), notes


def detail_table() -> str:
    lines = [
        "| database | endpoint | answers | duration | p50 | p90 | p99 | broker |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for db, label in DATABASES:
        for part in ("ingest", "packaging"):
            data = _load(part, db)
            if data is None:
                continue
            entries = [(part, data[part]), ("no-op", data["noop"])]
            if "settings_list" in data:
                entries.append(("settings list ?key=NONE", data["settings_list"]))
            for name, result in entries:
                lines.append(
                    f"| {label} | {name} ({part} run) | {_f(result['ok'])} | "
                    f"{result['duration_us'] / 1e6:.1f} s | "
                    f"{result['latency_p50_us'] / 1000:.1f} ms | {result['latency_p90_us'] / 1000:.1f} ms | "
                    f"{result['latency_p99_us'] / 1000:.1f} ms | {data.get('broker', '-')} |"
                )
    return "\n".join(lines)


def resolution_table() -> tuple[str, list[str]]:
    lines = [
        "| database | N | real cycle | real shipments/s | real HTTP requests | naive cycle "
        "| naive shipments/s | naive HTTP requests | speed-up | other load (cores) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    notes: list[str] = []
    for db, label in DATABASES:
        data = _load("resolution", db)
        if data is None:
            lines.append(f"| {label} | not run | | | | | | | | |")
            continue
        by_n: dict[int, dict[str, dict]] = {}
        for row in data["rows"]:
            by_n.setdefault(row["n"], {})[row["implementation"]] = row
            if not row.get("skipped") and not row["check"]["ok"]:
                notes.append(f"{label} N={row['n']} {row['implementation']}: wrong end state {row['check']}.")
        for n in sorted(by_n):
            real, naive = by_n[n].get("oms"), by_n[n].get("naive")

            def cells(row: dict | None) -> list[str]:
                if row is None or row.get("skipped"):
                    return ["skipped", "", ""]
                return [f"{row['seconds']:.2f} s", _f(row["shipments_per_s"]), _f(row["http_requests"])]

            speedup = (
                f"**{naive['seconds'] / real['seconds']:.1f}x**"
                if real and naive and not real.get("skipped") and not naive.get("skipped")
                else "-"
            )
            load = " / ".join(_cores(row) for row in (real, naive) if row and not row.get("skipped"))
            lines.append(
                f"| {label} | {n:,} | " + " | ".join([*cells(real), *cells(naive), speedup, load]) + " |"
            )
    return "\n".join(lines), notes


def plot() -> bool:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(12, 4.8))
    styles = {"oms": "-", "naive": "--"}
    colors = {"sqlite": "tab:blue", "postgres": "tab:orange"}
    names = {"oms": "real (shipments_resolve)", "naive": "naive (GET per shipment, row saves)"}
    drew = False
    for db, label in DATABASES:
        data = _load("resolution", db)
        if data is None:
            continue
        for implementation in ("oms", "naive"):
            rows = sorted(
                (
                    row
                    for row in data["rows"]
                    if row["implementation"] == implementation and not row.get("skipped")
                ),
                key=lambda row: row["n"],
            )
            if not rows:
                continue
            xs = [row["n"] for row in rows]
            kwargs = {
                "linestyle": styles[implementation],
                "color": colors[db],
                "marker": "o",
                "label": f"{label}, {names[implementation]}",
            }
            left.plot(xs, [row["seconds"] for row in rows], **kwargs)
            right.plot(xs, [row["shipments_per_s"] for row in rows], **kwargs)
            drew = True
    if not drew:
        plt.close(figure)
        return False
    left.set(title="One full resolution cycle", xlabel="shipments followed (N)", ylabel="cycle time (s)")
    right.set(title="Throughput", xlabel="shipments followed (N)", ylabel="shipments per second")
    for axis in (left, right):
        axis.grid(True, alpha=0.3)
        axis.set_xlim(left=0)
        axis.set_ylim(bottom=0)
    right.legend(fontsize=8, loc="best")
    figure.tight_layout()
    figure.savefig(PLOT, dpi=110)
    plt.close(figure)
    return True


def wakeup_lines() -> str:
    lines = []
    for db, label in DATABASES:
        data = _load("packaging", db)
        if data and data.get("wakeup"):
            wake = data["wakeup"]
            lines.append(
                f"- {label} run (broker: {data.get('broker', '-')}): one `deliver_reports.delay()` took "
                f"{wake['ms_per_call']:.1f} ms on average over {wake['calls']} calls, in this process, "
                "with nothing else running in it."
            )
    return "\n".join(lines) or "- (not measured: the packaging benchmark did not run)"


def render() -> str:
    results = [
        data
        for part in ("ingest", "packaging", "resolution")
        for db, _ in DATABASES
        if (data := _load(part, db)) is not None
    ]
    if not results:
        raise SystemExit("no results in bench/results/: run bench/run first")
    dates = sorted(data["measured_at"] for data in results)
    quick = any(data.get("quick") for data in results)
    throughput, notes = throughput_table()
    resolution, resolution_notes = resolution_table()
    notes += resolution_notes
    if quick:
        notes.insert(
            0, "These figures come from a smoke run (`--quick`): short loads and small N. Not representative."
        )
    busy = [data for data in results if _busiest(data) > BUSY_CORES]
    if busy:
        notes.append(
            "⚠ marks measurements during which other processes on the machine used more than "
            f"{BUSY_CORES} cores (of 2): those figures are low, and their ratios less reliable."
        )
    values = {
        "date": dates[0][:10] + (f" (runs from {dates[0]} to {dates[-1]})" if dates else ""),
        "machine": "\n".join(["| | |", "|---|---|"] + [f"| {key} | {value} |" for key, value in machine()]),
        "throughput": throughput,
        "details": detail_table(),
        "resolution": resolution,
        "wakeup": wakeup_lines(),
        "notes": "\n".join(f"- {note}" for note in notes) or "- none: every measurement checked out.",
        "resolution_scale": report_resolution.scale_table(),
        "replay": report_resolution.replay_table(),
        "plot": "![Cycle time and throughput vs N](resolution.png)"
        if plot()
        else "(no resolution results to plot)",
    }
    template = TEMPLATE.read_text()
    missing = set(re.findall(r"\{\{(\w+)\}\}", template)) - set(values)
    if missing:
        raise SystemExit(f"template placeholders without values: {sorted(missing)}")
    return re.sub(r"\{\{(\w+)\}\}", lambda match: values[match.group(1)], template)


def _busiest(data: dict[str, Any]) -> float:
    measured = [data.get(key) for key in ("ingest", "packaging", "noop")] + list(data.get("rows", []))
    return max(
        (entry.get("cpu_others_cores", 0.0) for entry in measured if isinstance(entry, dict)), default=0.0
    )


def main() -> None:
    README.write_text(render())
    print(f"Wrote {README.relative_to(ROOT)}" + (f" and {PLOT.relative_to(ROOT)}" if PLOT.exists() else ""))


if __name__ == "__main__":
    main()
