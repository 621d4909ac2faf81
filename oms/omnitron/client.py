"""HTTP client for Omnitron: one typed method per call OMS makes. HTTP only.

The wire format is docs/omnitron-contract.md; JSON is turned into typed values by
`oms.omnitron.mapping`. Retries, deadlines and the report of each attempt are the transport's
(`oms.omnitron.transport`); logins and the process-wide token cache are `oms.omnitron.login`'s. A
login Omnitron refuses raises `OmnitronAuthenticationFailed`.
"""

import logging
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from oms.omnitron import mapping
from oms.omnitron.connection import connection_settings
from oms.omnitron.errors import (
    OmnitronNotConfigured,
)
from oms.omnitron.http import (
    AttemptCallback,
    iso,
)
from oms.omnitron.transport import OmnitronTransport
from oms.omnitron.types import OmnitronCargoCompany, OmnitronChannel, OmnitronOrder, OmnitronOrderItem

logger = logging.getLogger(__name__)

ORDERS_PATH = "/api/v1/orders/"
CHANNELS_PATH = "/api/v1/channels/"
CARGO_COMPANIES_PATH = "/api/v1/cargo_companies/"
ORDER_ITEMS_PATH = "/api/v1/order_items/"
BULK_STATUS_PATH = "/api/i1/order_items/bulk_status_update/"
MAX_PAGE_SIZE = 500


class OmnitronClient(OmnitronTransport):
    """A client of one Omnitron (base URL + credentials). Thread-safe; close it when done."""

    # Orders

    def order_get(self, pk: int) -> OmnitronOrder:
        """One order; `OmnitronNotFound` when Omnitron does not have it."""
        path = f"{ORDERS_PATH}{int(pk)}/"
        data = self._call("GET", path)
        return self._mapped("GET", path, mapping.order_from_json, data)

    def orders_get_many(self, ids: Iterable[int]) -> list[OmnitronOrder]:
        """The orders with these ids, read 500 ids per request; ids Omnitron lacks are absent."""
        unique = list(dict.fromkeys(int(pk) for pk in ids))
        orders: list[OmnitronOrder] = []
        for start in range(0, len(unique), MAX_PAGE_SIZE):
            chunk = unique[start : start + MAX_PAGE_SIZE]
            params = {"id__in": ",".join(str(pk) for pk in chunk), "limit": str(MAX_PAGE_SIZE)}
            for results in self._pages(ORDERS_PATH, params):
                orders.extend(self._mapped_each(ORDERS_PATH, mapping.order_from_json, results))
        return orders

    def orders_iter(
        self,
        status: int | None = None,
        modified_since: datetime | None = None,
        modified_until: datetime | None = None,
        page_size: int = 100,
    ) -> Iterator[OmnitronOrder]:
        """Orders ordered by modified date then pk, following `next` page by page.

        Sends `modified_date__gte`/`modified_date__lte`, and also stops at the first order modified
        after `modified_until` (in case the server ignores the upper bound). Naive datetimes are UTC.
        Pages are numbered, so an order modified while the iteration runs may move between pages:
        callers that need completeness keep a watermark and read again from it.
        """
        params: dict[str, str] = {"limit": str(min(max(int(page_size), 1), MAX_PAGE_SIZE))}
        if status is not None:
            params["status"] = mapping.status_to_wire(status)
        if modified_since is not None:
            params["modified_date__gte"] = iso(modified_since)
        if modified_until is not None:
            params["modified_date__lte"] = iso(modified_until)
            if modified_until.tzinfo is None:
                modified_until = modified_until.replace(tzinfo=UTC)
        for results in self._pages(ORDERS_PATH, params):
            for order in self._mapped_each(ORDERS_PATH, mapping.order_from_json, results):
                if modified_until is not None and order.modified_date > modified_until:
                    return
                yield order

    # Channels and cargo companies

    def channel_get(self, pk: int) -> OmnitronChannel:
        """One channel; `OmnitronNotFound` when Omnitron does not have it."""
        path = f"{CHANNELS_PATH}{int(pk)}/"
        return self._mapped("GET", path, mapping.channel_from_json, self._call("GET", path))

    def channels_list(self) -> list[OmnitronChannel]:
        """Every channel, all pages."""
        channels: list[OmnitronChannel] = []
        for results in self._pages(CHANNELS_PATH, {"limit": str(MAX_PAGE_SIZE)}):
            channels.extend(self._mapped_each(CHANNELS_PATH, mapping.channel_from_json, results))
        return channels

    def cargo_company_get(self, pk: int) -> OmnitronCargoCompany:
        """One cargo company; `OmnitronNotFound` when Omnitron does not have it."""
        path = f"{CARGO_COMPANIES_PATH}{int(pk)}/"
        return self._mapped("GET", path, mapping.cargo_company_from_json, self._call("GET", path))

    def cargo_companies_list(self) -> list[OmnitronCargoCompany]:
        """Every cargo company, all pages."""
        companies: list[OmnitronCargoCompany] = []
        for results in self._pages(CARGO_COMPANIES_PATH, {"limit": str(MAX_PAGE_SIZE)}):
            companies.extend(
                self._mapped_each(CARGO_COMPANIES_PATH, mapping.cargo_company_from_json, results)
            )
        return companies

    # Order item statuses

    def order_items_status_update(
        self, statuses: Mapping[int, int], *, on_attempt: AttemptCallback | None = None
    ) -> dict[int, int]:
        """Set many order items' statuses in one all-or-nothing call; returns what Omnitron answered.

        `OmnitronRejected` (400) when Omnitron refuses any item; then it changed nothing.
        `OmnitronOutcomeUnknown` when the call was sent and no readable answer came back: it is not
        repeated, the caller reads what Omnitron has before sending again. `on_attempt` hears of
        every attempt (retries of failures that changed nothing included).
        """
        if not statuses:
            return {}
        data = self._call(
            "PATCH",
            BULK_STATUS_PATH,
            json_body=mapping.bulk_status_payload(statuses),
            on_attempt=on_attempt,
            write=True,
        )
        return self._mapped("PATCH", BULK_STATUS_PATH, mapping.bulk_status_from_json, data)

    def order_item_status_update(self, pk: int, status: int) -> OmnitronOrderItem:
        """Set one order item's status; returns the item as Omnitron answered it.

        Like the bulk update, an ambiguous outcome raises `OmnitronOutcomeUnknown` and is not repeated.
        """
        path = f"{ORDER_ITEMS_PATH}{int(pk)}/"
        data = self._call("PATCH", path, json_body=mapping.item_status_payload(status), write=True)
        return self._mapped("PATCH", path, mapping.order_item_from_json, data)


def omnitron_client_get(**options: Any) -> OmnitronClient:
    """A client for the configured Omnitron (the caller closes it, or uses it as a context manager).

    The URL and credentials come from `oms.omnitron.connection` (the OMNITRON_CLIENT_SETTINGS
    application setting when set, else the Django settings OMNITRON_URL, OMNITRON_USERNAME and
    OMNITRON_PASSWORD). `options` are passed to `OmnitronClient` (timeouts, retries). Raises
    `OmnitronNotConfigured`.
    """
    # Imported here so that the transport above needs no Django (the sandbox and benchmarks use it).
    from django.conf import settings

    connection = connection_settings()
    missing = [
        name
        for name, value in (
            ("url", connection.url),
            ("username", connection.username),
            ("password", connection.password),
        )
        if not value
    ]
    if missing:
        raise OmnitronNotConfigured(
            f"Omnitron is not configured: {', '.join(missing)} missing in {connection.source}. Set the "
            'application setting OMNITRON_CLIENT_SETTINGS to {"url": ..., "username": ..., "password": '
            "...}, or the environment variables OMNITRON_URL, OMNITRON_USERNAME and OMNITRON_PASSWORD."
        )
    client_options: dict[str, Any] = {**getattr(settings, "OMNITRON_CLIENT_OPTIONS", {}), **options}
    return OmnitronClient(connection.url, connection.username, connection.password, **client_options)
