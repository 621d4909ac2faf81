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
from bench.profile_report import profile_section

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


def _ratio_cell(detail: dict[str, Any] | None) -> str:
    if not detail:
        return "-"
    return f"**{detail['median']:.2f}** ({detail['min']:.2f} to {detail['max']:.2f})"


def _aim_cell(detail: dict[str, Any] | None, target: float | None) -> str:
    if not detail or target is None:
        return "-"
    return f"≥ {target} ({'✅ met' if detail['median'] >= target else '❌ missed'})"


def throughput_table() -> tuple[str, list[str]]:
    header = (
        "| database | figure | rate | OMS no-op | bare floor | ÷ no-op (range over rounds) "
        "| ÷ bare floor (range) | aim (÷ bare floor) | other load (cores) |\n"
        "|---|---|---:|---:|---:|---:|---:|---:|---:|"
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
                rows.append(f"| {label} | {figure} | not run | | | | | | |")
                continue
            measured, noop, floor = data[part], data["noop"], data.get("floor")
            ratios = data.get("ratios") or {"to_noop": data.get("ratio_detail")}
            floor_rate = f"{_f(floor['rate'])} req/s" if floor else "not measured"
            load = " / ".join(_cores(result) for result in (measured, noop, floor) if result)
            rows.append(
                f"| {label} | {figure} | **{_f(measured['rate'])}** {unit} | {_f(noop['rate'])} req/s | "
                f"{floor_rate} | {_ratio_cell(ratios.get('to_noop'))} | "
                f"{_ratio_cell(ratios.get('to_floor'))} | "
                f"{_aim_cell(ratios.get('to_floor'), data.get('target_floor_ratio'))} | {load} |"
            )
            if floor:
                rows.append(
                    f"| {label} | authenticated no-op ({figure} run) | {_f(noop['rate'])} req/s | | "
                    f"{_f(floor['rate'])} req/s | | {_ratio_cell(ratios.get('noop_to_floor'))} | "
                    f"{_aim_cell(ratios.get('noop_to_floor'), data.get('target_noop_floor_ratio'))} | |"
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
            if "floor" in data:
                entries.append(("bare floor", data["floor"]))
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


TIMES = "\u00d7"  # the multiplication sign, as in "3.0 times"


def bulk_lines() -> str:
    """Packing N packages with one bulk call against N single calls, per database."""
    rows = []
    for db, label in DATABASES:
        data = _load("bulk", db)
        if not data:
            continue
        median, batch = data["median"], data["batch"]
        rows.append(
            f"| {label} | {median['bulk']:.2f} s ({batch / median['bulk']:.0f}/s) "
            f"| {median['single']:.2f} s ({batch / median['single']:.0f}/s) "
            f"| **{data['speedup']:.1f}{TIMES}** "
            f"| {median['parallel']:.2f} s | {data['speedup_parallel']:.1f}{TIMES} |"
        )
    if not rows:
        return "(not measured: the bulk benchmark did not run)"
    data = next(d for db, _ in DATABASES if (d := _load("bulk", db)))
    head = [
        f"| {data['batch']} packages | one bulk call | single calls, 1 client | speed-up "
        f"| single calls, {data['clients']} clients | speed-up |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    return "\n".join(head + rows)


def _rate(row: dict | None) -> str:
    if not row:
        return "-"
    return f"{_f(row['rate'])} events/s ({row['delivered']} in {row['seconds']:.1f} s)"


def events_table() -> str:
    """Packaging with a dead webhook receiver subscribed vs none, and delivery to a loopback receiver."""
    lines = [
        "| database | packaging, dead receiver subscribed | packaging, none subscribed "
        "| ratio (range over rounds) | delivery, 1 run | delivery, 3 concurrent runs | other load (cores) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for db, label in DATABASES:
        data = _load("events", db)
        if data is None:
            lines.append(f"| {label} | not run | | | | | |")
            continue
        ratio = data["ratio"]
        delivery = {row["concurrent_runs"]: row for row in data["delivery"]}

        lines.append(
            f"| {label} | {_f(data['subscribed']['rate'])} commands/s | {_f(data['unsubscribed']['rate'])} "
            f"commands/s | **{ratio['median']:.2f}** ({ratio['min']:.2f} to {ratio['max']:.2f}) | "
            f"{_rate(delivery.get(1))} | {_rate(delivery.get(3))} | "
            f"{_cores(data['subscribed'])} / {_cores(data['unsubscribed'])} |"
        )
    return "\n".join(lines)


def render() -> str:
    results = [
        data
        for part in ("ingest", "packaging", "bulk", "resolution", "events")
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
        "bulk": bulk_lines(),
        "profile": profile_section(),
        "events": events_table(),
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
    keys = ("ingest", "packaging", "noop", "floor")
    measured = [data.get(key) for key in keys] + list(data.get("rows", []))
    return max(
        (entry.get("cpu_others_cores", 0.0) for entry in measured if isinstance(entry, dict)), default=0.0
    )


def main() -> None:
    README.write_text(render())
    print(f"Wrote {README.relative_to(ROOT)}" + (f" and {PLOT.relative_to(ROOT)}" if PLOT.exists() else ""))


if __name__ == "__main__":
    main()
