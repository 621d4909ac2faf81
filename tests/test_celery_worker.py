"""A real Celery worker with beat (`celery -A oms worker -B`), on the broker the tests use.

The embedded SQLite broker by default; Redis when `CELERY_BROKER_URL` says so. The worker consumes
a queue of its own, so that nothing else sent to the broker during the test run reaches it.
"""

import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection

from oms import celery_app
from oms.core.tasks import heartbeat, heartbeat_read, heartbeat_record
from tests.processes import child_env, start, stop, wait_for

pytestmark = pytest.mark.slow

TASK_TIMEOUT_SECONDS = 45


@dataclass
class Worker:
    process: subprocess.Popen
    data_dir: Path
    queue: str
    log_file: Path

    def heartbeat_sources(self) -> dict[str, str]:
        return heartbeat_read(self.data_dir / "heartbeat").get("sources", {})


@pytest.fixture
def worker(tmp_path: Path, transactional_db: None) -> Iterator[Worker]:
    """A `celery worker -B` child sharing the test database and broker; beat ticks every second."""
    data_dir = tmp_path / "worker"
    data_dir.mkdir()
    queue = f"test-{uuid.uuid4().hex[:12]}"
    log_file = data_dir / "worker.log"
    argv = [
        *(sys.executable, "-m", "celery", "-A", "oms", "worker", "-B"),
        *("-s", str(data_dir / "celerybeat-schedule"), "--concurrency", "1", "--loglevel", "INFO"),
        *("-n", f"{queue}@%h", "--without-mingle", "--without-gossip"),
    ]
    env = child_env(data_dir, OMS_HEARTBEAT_SECONDS="1", OMS_CELERY_QUEUE=queue)
    process = start(argv, env, log_file)
    yield Worker(process=process, data_dir=data_dir, queue=queue, log_file=log_file)
    stop(process)


@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_a_delayed_task_and_beat_sends_the_heartbeat(
    worker: Worker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(celery_app.conf, "task_default_queue", worker.queue)
    marker = f"test-{uuid.uuid4().hex[:8]}"

    heartbeat.delay(source=marker)

    wait_for(
        lambda: marker in worker.heartbeat_sources(),
        TASK_TIMEOUT_SECONDS,
        "The worker did not run the heartbeat sent with .delay()",
        worker.process,
        worker.log_file,
    )
    wait_for(
        lambda: "beat" in worker.heartbeat_sources(),
        TASK_TIMEOUT_SECONDS,
        "Beat did not send the periodic heartbeat",
        worker.process,
        worker.log_file,
    )
    recorded = heartbeat_read(worker.data_dir / "heartbeat")
    assert recorded["database"] == connection.vendor
    assert worker.process.poll() is None, "the worker died"


@pytest.mark.django_db(transaction=True)
def test_a_child_process_sees_what_the_test_committed(tmp_path: Path) -> None:
    get_user_model().objects.create_user(username="seen-by-the-child")
    code = (
        "from django.contrib.auth import get_user_model; "
        "print(get_user_model().objects.filter(username='seen-by-the-child').count())"
    )

    result = subprocess.run(
        [sys.executable, "-m", "oms", "shell", "-c", code],
        env=child_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "1"


@pytest.mark.django_db
def test_heartbeat_records_each_source_in_the_data_directory() -> None:
    heartbeat("manual")
    heartbeat_record("beat")

    recorded = heartbeat_read()
    assert recorded["source"] == "beat"
    assert set(recorded["sources"]) >= {"manual", "beat"}
    assert (Path(settings.DATA_DIR) / "heartbeat").exists()


def test_heartbeat_refuses_a_source_that_is_not_a_plain_name(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="letters, digits"):
        heartbeat_record("../../etc", path=tmp_path / "heartbeat")


def test_beat_sends_the_heartbeat_periodically() -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["heartbeat"]
    assert entry["task"] == heartbeat.name == "oms.core.tasks.heartbeat"
    assert entry["schedule"] == settings.OMS_HEARTBEAT_SECONDS


def test_every_periodic_task_is_one_the_worker_knows() -> None:
    celery_app.loader.import_default_modules()

    unknown = [
        entry["task"]
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] not in celery_app.tasks
    ]

    assert unknown == []
    assert "oms.shipments.cargo_companies.sync_cargo_companies" in celery_app.tasks
