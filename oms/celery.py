"""The Celery app. Settings come from Django settings (`CELERY_*`); tasks from each app's `tasks.py`.

One machine: `celery -A oms worker -B` on the embedded SQLite broker (what `oms serve` starts).
Several machines: `CELERY_BROKER_URL=redis://...`, any number of workers, exactly one beat.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms.settings.base")

app = Celery("oms")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def prepare_broker(max_retries: int = 3) -> None:
    """Connect to the broker once and declare the default queue.

    Fails fast (kombu's `OperationalError`) when the broker cannot be reached, and creates the
    embedded broker's tables before several processes race to create them.
    """
    with app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=max_retries)
        queue = app.amqp.queues[app.conf.task_default_queue]
        queue.bind(connection.default_channel).declare()
