"""Core Celery tasks: the worker's heartbeat, proof that worker, broker, beat and database work."""

import fcntl
import json
import logging
import os
import re
import socket
from pathlib import Path
from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import connection
from django.utils import timezone

logger = logging.getLogger(__name__)

HEARTBEAT_FILE = "heartbeat"
_SOURCE_RE = re.compile(r"^[A-Za-z0-9_.:@-]{1,100}$")


def heartbeat_path() -> Path:
    """The heartbeat file of this process's data directory (`OMS_DATA_DIR/heartbeat`)."""
    return Path(settings.DATA_DIR) / HEARTBEAT_FILE


def heartbeat_read(path: Path | None = None) -> dict[str, Any]:
    """What the heartbeat file holds: `{}` before the first beat."""
    path = path or heartbeat_path()
    try:
        text = path.read_text()
    except FileNotFoundError:
        return {}
    return json.loads(text) if text.strip() else {}


def heartbeat_record(source: str, path: Path | None = None) -> dict[str, Any]:
    """Record one heartbeat from `source` and return the file's new content.

    The file keeps the latest beat (`at`, `source`, `pid`, `hostname`, `database`) and, under
    `sources`, the time of the latest beat of each source (`beat` for the periodic one). Concurrent
    worker processes update it under an exclusive lock, so no beat overwrites another's source.
    """
    if not _SOURCE_RE.match(source):
        raise ValueError(f"Heartbeat source {source!r} must be 1-100 letters, digits or `_.:@-`.")
    path = path or heartbeat_path()
    with connection.cursor() as cursor:  # a heartbeat also proves the database answers
        cursor.execute("SELECT 1")
    now = timezone.now().isoformat()
    with path.open("a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        text = handle.read()
        data: dict[str, Any] = json.loads(text) if text.strip() else {}
        data.update(
            at=now,
            source=source,
            pid=os.getpid(),
            hostname=socket.gethostname(),
            database=connection.vendor,
        )
        data.setdefault("sources", {})[source] = now
        handle.seek(0)
        handle.truncate()
        json.dump(data, handle, indent=2, sort_keys=True)
        handle.flush()
    return data


@shared_task(name="oms.core.tasks.heartbeat", ignore_result=True)
def heartbeat(source: str = "manual") -> str:
    """Write a timestamp to `OMS_DATA_DIR/heartbeat`; beat sends it every `OMS_HEARTBEAT_SECONDS`.

    Idempotent and cheap: a stale or repeated tick only moves the timestamp.
    """
    data = heartbeat_record(source)
    logger.info("Heartbeat from %s at %s", source, data["at"])
    return data["at"]
