"""Where the Omnitron client's URL and credentials come from.

Apps above the seam plug in a source from their `AppConfig.ready()` (the configuration app offers the
OMNITRON_CLIENT_SETTINGS application setting); the first source that answers wins, and the Django
settings OMNITRON_URL, OMNITRON_USERNAME and OMNITRON_PASSWORD are the fallback. Read at call time.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class OmnitronConnection:
    """The URL and credentials of one Omnitron, and where they were read (for error messages)."""

    url: str
    username: str
    password: str
    source: str

    def __repr__(self) -> str:
        return f"OmnitronConnection({self.url!r}, username={self.username!r}, source={self.source!r})"


ConnectionSource = Callable[[], OmnitronConnection | None]

_sources: list[ConnectionSource] = []


def connection_source_register(source: ConnectionSource) -> None:
    """Offer connection settings ahead of the environment's; `source` answers None when it has none."""
    if source not in _sources:
        _sources.append(source)


def connection_settings() -> OmnitronConnection:
    """The connection settings of the first source that has them, else the Django settings."""
    for source in _sources:
        connection = source()
        if connection is not None:
            return connection
    from django.conf import settings

    return OmnitronConnection(
        url=getattr(settings, "OMNITRON_URL", "") or "",
        username=getattr(settings, "OMNITRON_USERNAME", "") or "",
        password=getattr(settings, "OMNITRON_PASSWORD", "") or "",
        source="the OMNITRON_URL, OMNITRON_USERNAME and OMNITRON_PASSWORD settings",
    )
