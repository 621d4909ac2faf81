"""What OMS reads from and writes to Omnitron: one typed seam.

Domain code is typed against `OmnitronPort`, never against the HTTP client: `OmnitronClient`
(oms/omnitron/client.py) implements it over HTTP, and a test may hand in anything else that does.
Every method raises `oms.omnitron.errors.OmnitronError` subclasses only; `oms.omnitron.boundary`
turns those into OMS errors in one place.
"""

from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from typing import Protocol

from oms.omnitron.types import OmnitronCargoCompany, OmnitronChannel, OmnitronOrder, OmnitronOrderItem


class OmnitronPort(Protocol):
    """One Omnitron, as OMS uses it. Close it when done (or use it as a context manager)."""

    def order_get(self, pk: int) -> OmnitronOrder:
        """One order; `OmnitronNotFound` when Omnitron does not have it."""
        ...

    def orders_get_many(self, ids: Iterable[int]) -> list[OmnitronOrder]:
        """The orders with these ids; ids Omnitron lacks are absent."""
        ...

    def orders_iter(
        self,
        status: int | None = None,
        modified_since: datetime | None = None,
        modified_until: datetime | None = None,
        page_size: int = 100,
    ) -> Iterator[OmnitronOrder]:
        """Orders to ingest, by modified date then pk, within the bounds given."""
        ...

    def channel_get(self, pk: int) -> OmnitronChannel:
        """One channel; `OmnitronNotFound` when Omnitron does not have it."""
        ...

    def channels_list(self) -> list[OmnitronChannel]:
        """Every channel."""
        ...

    def cargo_company_get(self, pk: int) -> OmnitronCargoCompany:
        """One cargo company; `OmnitronNotFound` when Omnitron does not have it."""
        ...

    def cargo_companies_list(self) -> list[OmnitronCargoCompany]:
        """Every cargo company."""
        ...

    def order_items_status_update(self, statuses: Mapping[int, int]) -> dict[int, int]:
        """Set many order items' statuses at once (all or nothing); what Omnitron answered."""
        ...

    def order_item_status_update(self, pk: int, status: int) -> OmnitronOrderItem:
        """Set one order item's status; the item as Omnitron answered it."""
        ...

    def close(self) -> None:
        """Release the connections."""
        ...


# How services get a port (the interfaces pass `omnitron_client_get`); raises `OmnitronError`
# (e.g. `OmnitronNotConfigured`) when Omnitron cannot be reached at all.
OmnitronPortFactory = Callable[[], OmnitronPort]
