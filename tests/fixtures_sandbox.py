"""Pytest fixtures for the Omnitron sandbox, usable from any test folder.

A pytest plugin: the root conftest loads it with `pytest_plugins = ["tests.fixtures_sandbox"]`.

- `sandbox_server` (session): one started `SandboxServer` on an ephemeral loopback port.
- `sandbox` (function): the same server, reset before the test (no orders, faults, request log or
  push configuration; seed channels and cargo companies; users and tokens kept).
- `omnitron_sandbox_settings` (function, needs pytest-django): points the OMNITRON_URL,
  OMNITRON_USERNAME and OMNITRON_PASSWORD settings at the sandbox and yields it, so
  `omnitron_client_get()` talks to it (unless the OMNITRON_CLIENT_SETTINGS application setting is set).
"""

import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

# `oms` is imported inside the fixtures: importing it picks Django settings, which must wait until
# pytest-django has chosen them (this module may be loaded early, e.g. with `-p`).
if TYPE_CHECKING:
    from oms.sandbox import SandboxServer

SANDBOX_USERNAME = "omnitron"
SANDBOX_PASSWORD = "sandbox-test-password"

_shared: "SandboxServer | None" = None
_shared_lock = threading.Lock()


def sandbox_shared_start() -> "SandboxServer":
    """The process-wide sandbox for tests, started on first use (shared by every fixture copy)."""
    from oms.sandbox import SandboxServer

    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = SandboxServer(username=SANDBOX_USERNAME, password=SANDBOX_PASSWORD).start()
        return _shared


def sandbox_shared_stop() -> None:
    """Stop the process-wide sandbox (safe when it is not running)."""
    global _shared
    with _shared_lock:
        server, _shared = _shared, None
    if server is not None:
        server.stop()


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator["SandboxServer"]:
    """One started sandbox for the whole session."""
    yield sandbox_shared_start()
    sandbox_shared_stop()


@pytest.fixture
def sandbox(sandbox_server: "SandboxServer") -> Iterator["SandboxServer"]:
    """The session's sandbox, reset before (and after) the test."""
    sandbox_server.reset()
    yield sandbox_server
    sandbox_server.reset()


@pytest.fixture
def omnitron_sandbox_settings(sandbox: "SandboxServer", settings: Any) -> Iterator["SandboxServer"]:
    """Django settings pointing at the sandbox; yields the sandbox."""
    from oms.omnitron.client import OmnitronClient

    settings.OMNITRON_URL = sandbox.url
    settings.OMNITRON_USERNAME = sandbox.username
    settings.OMNITRON_PASSWORD = sandbox.password
    OmnitronClient.token_cache_clear()
    yield sandbox
    OmnitronClient.token_cache_clear()
