"""The embedded broker's SQLite file is in WAL mode, and a wake-up sent to it can be read back."""

import sqlite3

import pytest
from django.conf import settings

from oms.celery import app, prepare_broker
from oms.settings.broker import EMBEDDED_PREFIX


def test_the_embedded_broker_file_is_in_wal_mode_and_carries_a_wake_up():
    if not settings.CELERY_BROKER_URL.startswith(EMBEDDED_PREFIX):
        pytest.skip("this run's broker is not the embedded one (CELERY_BROKER_URL is set)")
    queue = f"wal-check-{id(object())}"
    prepare_broker()

    with app.connection_for_write() as connection:
        simple = connection.SimpleQueue(queue)
        simple.put({"wake": "up"})
        message = simple.get(timeout=5)
        message.ack()
        simple.close()

    path = settings.CELERY_BROKER_URL.removeprefix(EMBEDDED_PREFIX)
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert message.payload == {"wake": "up"}
