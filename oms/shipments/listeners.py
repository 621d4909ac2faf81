"""Who wants to know that a cargo company was saved.

Shipments must not import the apps above it; an app that reacts to a new or changed cargo company
(orders links the orders that arrived before OMS knew it) plugs in from its `AppConfig.ready()`.
"""

from collections.abc import Callable

from oms.shipments.models import CargoCompany

CargoCompanyListener = Callable[..., object]

_cargo_company_saved: list[CargoCompanyListener] = []


def cargo_company_saved_listen(listener: CargoCompanyListener) -> None:
    """Call `listener(cargo_company=...)` whenever a cargo company is created or updated (once per
    listener, however often this is called)."""
    if listener not in _cargo_company_saved:
        _cargo_company_saved.append(listener)


def cargo_company_saved_notify(*, cargo_company: CargoCompany) -> None:
    """Tell every listener that the cargo company was created or updated."""
    for listener in _cargo_company_saved:
        listener(cargo_company=cargo_company)
