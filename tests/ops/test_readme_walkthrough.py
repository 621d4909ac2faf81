"""The README's walk-through, typed as written, against a real `oms serve` (SLOW; part of the suite).

The shell blocks of the README's walk-through section run in one bash, a second terminal beside
`oms serve`, with the same data directory and no other set-up: a change that breaks the README
breaks this test. The only change made to the text: the ports 8000 and 8100 become the free ports
this test's server listens on. Then `oms serve` is restarted and `oms demo` runs twice on the same
data directory (the restarted sandbox must not reuse the Omnitron ids OMS already holds).
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.ops.test_demo import BANNER_END, QUICK_RESOLUTION, START_TIMEOUT_SECONDS, Served
from tests.processes import clean_env, free_port, read_log, start, stop, wait_for

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
SECTION = "## A walk through the marketplace flow"
WALKTHROUGH_TIMEOUT_SECONDS = 180
DEMO_TIMEOUT = 120


def walkthrough_blocks() -> list[str]:
    """The ```sh blocks of the README's walk-through section, in order."""
    text = README.read_text()
    section = text[text.index(SECTION) :]
    section = section[: section.index("\n## ", len(SECTION))]
    return re.findall(r"^```sh\n(.*?)^```$", section, re.MULTILINE | re.DOTALL)


def stated_statuses(script: str) -> list[str]:
    """The package statuses the README says its `package '["status"]'` lines print."""
    return re.findall(r"""^package '\["status"\]'\s+# (\w+)$""", script, re.MULTILINE)


def serve(root: Path, log_name: str, port: int, sandbox_port: int, **env: str) -> subprocess.Popen:
    log_file = root / log_name
    argv = [sys.executable, "-m", "oms", "serve", "--port", str(port), "--sandbox-port", str(sandbox_port)]
    process = start(argv, clean_env(root / "var", **env), log_file)
    wait_for(
        lambda: BANNER_END in log_file.read_text(errors="replace"),
        START_TIMEOUT_SECONDS,
        f"oms serve ({log_name}) printed no banner",
        process,
        log_file,
    )
    return process


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A working directory whose `var/` is the data directory, as in the checkout."""
    return tmp_path_factory.mktemp("walkthrough")


@pytest.fixture(scope="module")
def ports() -> tuple[int, int]:
    port = sandbox_port = free_port()
    while sandbox_port == port:
        sandbox_port = free_port()
    return port, sandbox_port


@pytest.fixture(scope="module")
def walked(root: Path, ports: tuple[int, int]) -> subprocess.CompletedProcess:
    """The README's blocks run in a second shell while a first `oms serve` runs; then it stops."""
    for tool in ("uv", "curl", "bash"):
        assert shutil.which(tool), f"the walk-through needs {tool} on PATH (bin/test installs uv)"
    port, sandbox_port = ports
    script = "\n".join(walkthrough_blocks())
    assert "localhost:8000" in script and "localhost:8100" in script
    script = script.replace("localhost:8000", f"localhost:{port}").replace(
        "localhost:8100", f"localhost:{sandbox_port}"
    )
    process = serve(root, "serve-1.log", port, sandbox_port)  # as bin/serve: default intervals
    try:
        # UV_PROJECT: `uv run` finds the checkout from this temporary working directory. The trace
        # (set -x, timed) goes to stderr, kept in walkthrough.log: where a failing run spent its time.
        env = clean_env(root / "var", UV_PROJECT=str(ROOT))
        return subprocess.run(
            ["bash", "-c", f"set -eo pipefail\nPS4='+ $(date +%T.%N) '\nset -x\n{script}"],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=WALKTHROUGH_TIMEOUT_SECONDS,
        )
    finally:
        stop(process)


def test_the_readme_has_a_walkthrough_that_states_its_outcomes() -> None:
    script = "\n".join(walkthrough_blocks())

    assert len(walkthrough_blocks()) >= 4
    assert stated_statuses(script) == ["waiting", "packed", "delivered"]
    assert "uv run oms sync_channels" in script
    assert "uv run oms resolve_shipment_statuses" in script


def test_the_walkthrough_typed_as_written_packs_a_package_then_delivers_it(
    walked: subprocess.CompletedProcess, root: Path
) -> None:
    log = f"{walked.stdout}\n--- stderr ---\n{walked.stderr}\n--- serve ---\n{read_log(root / 'serve-1.log')}"
    (root / "walkthrough.log").write_text(log)
    assert walked.returncode == 0, log
    printed = [line.strip() for line in walked.stdout.splitlines()]
    statuses = [line for line in printed if line in {"waiting", "packed", "delivered"}]
    assert statuses == stated_statuses("\n".join(walkthrough_blocks())), log
    assert "Channels: 4 created" in walked.stdout
    # The delivery came from Omnitron: by the README's command, or the periodic task just before it.
    assert re.search(r"Checked [01] shipments: [01] moved", walked.stdout), log
    assert "not configured" not in walked.stderr
    assert "Traceback" not in walked.stderr


def test_oms_demo_runs_twice_after_the_walkthrough_and_a_restart(
    walked: subprocess.CompletedProcess, root: Path, ports: tuple[int, int]
) -> None:
    assert walked.returncode == 0, walked.stderr
    port, sandbox_port = ports
    process = serve(root, "serve-2.log", port, sandbox_port, **QUICK_RESOLUTION)
    try:
        outputs = []
        for _ in range(2):
            result = subprocess.run(
                [sys.executable, "-m", "oms", "demo", "--orders", "2", "--timeout", str(DEMO_TIMEOUT)],
                cwd=root,
                env=clean_env(root / "var"),  # no --url: the demo finds OMS and the sandbox in the data dir
                capture_output=True,
                text=True,
                timeout=DEMO_TIMEOUT + 60,
            )
            serve_log = read_log(root / "serve-2.log")
            assert result.returncode == 0, f"{result.stdout}\n{result.stderr}\n--- serve ---\n{serve_log}"
            assert "All 2 order(s) delivered" in result.stdout
            outputs.append(result.stdout)
        served = Served(process, root / "var", root / "serve-2.log", port, sandbox_port)
        headers = {"Authorization": f"Token {served.token()}"}
        orders = httpx.get(f"{served.url}/api/v1/oms/orders/?page_size=50", headers=headers).json()
    finally:
        stop(process)
    omnitron_ids = [order["omnitron_id"] for order in orders["results"]]
    # The walk-through's order, and each demo's two orders plus the one it shows being cancelled:
    # seven, each its own.
    assert len(omnitron_ids) == 1 + 2 * (2 + 1)
    assert len(set(omnitron_ids)) == len(omnitron_ids)
    created = re.findall(r"created  Omnitron order (\d+)", "".join(outputs))
    assert min(int(pk) for pk in created) > 1001  # the walk-through's order was 1001
