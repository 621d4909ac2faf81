import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from oms.sandbox import SandboxServer
from tests.scale.scenario import Layout


@pytest.fixture
def scale_sandbox() -> Iterator[SandboxServer]:
    """An Omnitron sandbox of this test's own (its faults and request log are the test's alone)."""
    server = SandboxServer(username="oms-scale", password=secrets.token_urlsafe(16)).start()
    yield server
    server.stop()


@pytest.fixture
def make_layout(
    request: pytest.FixtureRequest, tmp_path: Path, transactional_db: None, scale_sandbox: SandboxServer
) -> Callable[..., Layout]:
    """Build a `Layout` (extra environment for every child as keyword arguments).

    Its children are stopped by process group in a finalizer, whatever happens to the test, and
    before the test database is flushed (this fixture depends on `transactional_db`).
    """

    def make(**env: str) -> Layout:
        layout = Layout(tmp_path / "layout", scale_sandbox, **env)
        request.addfinalizer(layout.stop_all)
        return layout

    return make
