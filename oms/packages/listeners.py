"""Apps above packages react to a package being packed, in the packing transaction.

The orders app owns order items and orders: it registers a listener from its `AppConfig.ready()`
that moves them to preparing. Listeners run inside the transaction that packs the package (so they
commit or roll back with it), in the order they were registered, and must not call Omnitron.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class PackagePacked:
    """A package was just packed: its order, the order items in it, and when."""

    package_id: int
    order_id: int
    order_item_ids: tuple[int, ...]
    now: datetime


PackagePackedListener = Callable[[PackagePacked], None]

_packed_listeners: list[PackagePackedListener] = []


def package_packed_listener_register(listener: PackagePackedListener) -> None:
    """Call `listener` each time a package is packed (registering it again adds it once)."""
    if listener not in _packed_listeners:
        _packed_listeners.append(listener)


def package_packed_notify(event: PackagePacked) -> None:
    """Tell every registered listener that a package was packed."""
    for listener in _packed_listeners:
        listener(event)
