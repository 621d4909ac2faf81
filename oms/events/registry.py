"""How events get the API representation of what they are about, without importing the domain.

The app owning a resource registers a builder for its kind from its AppConfig.ready() (the
packages app registers "package"); an app below it can then record an event about a package with
`representation_get(kind="package", pk=...)`, built only when some subscription wants the event.
"""

from collections.abc import Callable
from typing import Any

_BUILDERS: dict[str, Callable[[int], dict[str, Any]]] = {}


def representation_register(*, kind: str, builder: Callable[[int], dict[str, Any]]) -> None:
    _BUILDERS[kind] = builder


def representation_get(*, kind: str, pk: int) -> dict[str, Any]:
    """The resource as the API shows it, from the builder its app registered."""
    try:
        builder = _BUILDERS[kind]
    except KeyError:
        raise LookupError(f"No representation of '{kind}' is registered (is its app installed?)") from None
    return builder(pk)
