"""Connections to the embedded broker (kombu's SQLAlchemy transport on a SQLite file)."""

import sqlite3
from collections.abc import Callable

EMBEDDED_PREFIX = "sqla+sqlite:///"


def embedded_broker_connector(url: str, *, timeout: float = 30) -> Callable[[], sqlite3.Connection]:
    """A `creator` for SQLAlchemy's engine: the broker file in WAL mode with synchronous=NORMAL.

    SQLite's defaults (a rollback journal, synchronous=FULL) sync the disk several times per
    message sent: every packaging command pays it for its wake-up. In WAL mode with NORMAL a
    commit writes without syncing (the WAL is synced at checkpoints); a power cut may lose the last
    messages, which is harmless here: a message is only a wake-up, the work it announces is a row in
    OMS's database, and the periodic tasks pick up what no message announced.
    """
    path = url.removeprefix(EMBEDDED_PREFIX)

    def connect() -> sqlite3.Connection:
        # As SQLAlchemy's own SQLite connections: its pool may close a connection in another
        # thread than the one that opened it, and never lends one to two threads at once.
        connection = sqlite3.connect(path, timeout=timeout, check_same_thread=False)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        return connection

    return connect
