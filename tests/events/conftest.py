from datetime import UTC, datetime, timedelta

import pytest

from oms.events.models import WebhookSubscription
from tests.events.receiver import Receiver

HOOKS = "/api/v1/oms/whisperer/hooks/"
SECRET = "test-webhook-secret-0123456789"


@pytest.fixture
def private_targets(settings):
    """Loopback and plain HTTP allowed, as for local development (the receiver is on loopback)."""
    settings.OMS_WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    return settings


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


class Clock:
    """A clock the test moves: retries become due when the test says so."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def subscribe(url: str, *, event_type: str = "*", **fields) -> WebhookSubscription:
    return WebhookSubscription.objects.create(
        event_type=event_type,
        target_url=url,
        secret_key=SECRET,
        retry_countdown_config=fields.pop(
            "retry_countdown_config", {"type": "fixed", "countdown": 60, "max_retries": 3, "jitter": False}
        ),
        **fields,
    )


# The marketplace set-up, ingestion and Omnitron sandbox fixtures of the flow tests.
from tests.flow.conftest import ingest, marketplace, omnitron  # noqa: E402, F401
