from collections.abc import Callable, Iterator
from typing import Any

import pytest

from oms.omnitron.client import OmnitronClient
from oms.sandbox import SandboxServer
from tests import fixtures_sandbox

# The sandbox fixtures, also offered to other folders through the `tests.fixtures_sandbox` plugin.
sandbox_server = fixtures_sandbox.sandbox_server
sandbox = fixtures_sandbox.sandbox
omnitron_sandbox_settings = fixtures_sandbox.omnitron_sandbox_settings


@pytest.fixture
def sleeps() -> list[float]:
    """The waits the client asked for, instead of sleeping."""
    return []


@pytest.fixture
def make_client(sandbox: SandboxServer, sleeps: list[float]) -> Iterator[Callable[..., OmnitronClient]]:
    """Build clients of the sandbox with tiny backoffs and recorded sleeps; starts with no cached token."""
    OmnitronClient.token_cache_clear()
    clients: list[OmnitronClient] = []

    def make(**options: Any) -> OmnitronClient:
        settings = {
            "connect_timeout": 2,
            "read_timeout": 5,
            "backoff_base": 0.001,
            "backoff_max": 0.01,
            "sleep": sleeps.append,
            **options,
        }
        client = OmnitronClient(sandbox.url, sandbox.username, sandbox.password, **settings)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
    OmnitronClient.token_cache_clear()


@pytest.fixture
def client(make_client: Callable[..., OmnitronClient]) -> OmnitronClient:
    """A client of the sandbox with the default retry settings but tiny backoffs."""
    return make_client()
