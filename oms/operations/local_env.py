"""One data directory, one world: what `oms serve` records so that every `oms` command agrees with it.

`oms serve` writes `local-mode.json` (mode 600) in the data directory: the URL it answers on and,
when it runs the Omnitron sandbox, the sandbox's URL and credentials. Any other `oms` command run
against that data directory, from any terminal, then talks to the same Omnitron; variables set
explicitly (`OMNITRON_URL` …) still win. Nothing here imports Django settings: it runs before them.
"""

import json
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

LOCAL_MODE_FILE = "local-mode.json"
DEFAULT_OMS_URL = "http://127.0.0.1:8000"
DEFAULT_SANDBOX_URL = "http://127.0.0.1:8100"
#: Commands that are no use without Omnitron: with the recorded sandbox down, they say so and stop.
OMNITRON_COMMANDS = frozenset(
    {"sync_channels", "sync_cargo_companies", "resolve_shipment_statuses", "sync_orders", "demo"}
)


@dataclass(frozen=True)
class LocalMode:
    """What the last `oms serve` on a data directory recorded."""

    oms_url: str
    omnitron_url: str
    omnitron_username: str
    omnitron_password: str


def local_mode_record(data: Path, mode: LocalMode) -> None:
    """Write `local-mode.json`, readable by the owner only (it holds the sandbox password)."""
    from oms.operations.local import write_private_file

    write_private_file(data / LOCAL_MODE_FILE, json.dumps(mode.__dict__, indent=2) + "\n")


def local_mode_read(data: Path) -> LocalMode | None:
    """The recorded local mode, or None when there is none (or it cannot be read)."""
    try:
        stored = json.loads((data / LOCAL_MODE_FILE).read_text())
        return LocalMode(**{key: str(stored.get(key) or "") for key in LocalMode.__dataclass_fields__})
    except (OSError, ValueError, TypeError, AttributeError):
        return None


def local_mode_apply(data: Path) -> LocalMode | None:
    """Point this process at the recorded sandbox, unless OMNITRON_URL is set; return what was used."""
    mode = local_mode_read(data)
    if mode is None or not mode.omnitron_url or os.environ.get("OMNITRON_URL"):
        return None
    os.environ["OMNITRON_URL"] = mode.omnitron_url
    os.environ.setdefault("OMNITRON_USERNAME", mode.omnitron_username)
    os.environ.setdefault("OMNITRON_PASSWORD", mode.omnitron_password)
    return mode


def url_answers(url: str, timeout: float = 1.0) -> bool:
    """True when something accepts TCP connections at `url`'s host and port."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", port), timeout=timeout):
            return True
    except OSError:
        return False


def sandbox_down_message(mode: LocalMode, data: Path) -> str | None:
    """One line when the recorded sandbox does not answer (`oms serve` is stopped), else None."""
    if url_answers(mode.omnitron_url):
        return None
    return (
        f"The local Omnitron sandbox ({mode.omnitron_url}) does not answer: `oms serve` is not running "
        f"for {data}. Start it (bin/serve) and try again."
    )
