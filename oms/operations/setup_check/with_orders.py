"""Checks drawn from the orders: their channels, the cargo companies they name, and each pair's route.

Orders are aggregated per (channel, cargo company) pair, and routing costs one query per pair, so the
number of queries does not depend on the number of orders.
"""

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Min

from oms.channels.models import Channel
from oms.operations.marketplace import PACKAGING_SLUG
from oms.operations.setup_check.items import (
    CARGO_COMPANIES_URL,
    CONDITIONS_URL,
    CheckItem,
    channel_item,
    channel_label,
    company_label,
    json_body,
    plural,
    route_fix,
)
from oms.orders.models import Order
from oms.shipments.clients.omnitron_shipment_client import OmnitronShipmentClient
from oms.shipments.models import CargoCompany
from oms.shipments.services import NoRouteError, shipment_client_route


@dataclass
class OrderPair:
    """Orders of one channel with one cargo company (known to OMS or not), with a sample order."""

    channel: Channel
    cargo_company: CargoCompany | None
    omnitron_cargo_company_id: int | None
    orders: int
    sample: Order


def order_pairs() -> list[OrderPair]:
    """Orders grouped by (channel, cargo company): two queries, whatever the number of orders."""
    groups = list(
        Order.objects.values("channel_id", "cargo_company_id", "omnitron_cargo_company_id")
        .annotate(orders=Count("id"), sample_id=Min("id"))
        .order_by("channel_id", "cargo_company_id", "omnitron_cargo_company_id")
    )
    samples = Order.objects.select_related("channel", "cargo_company").in_bulk(
        [group["sample_id"] for group in groups]
    )
    pairs = []
    for group in groups:
        sample = samples[group["sample_id"]]
        pairs.append(
            OrderPair(
                channel=sample.channel,
                cargo_company=sample.cargo_company,
                omnitron_cargo_company_id=group["omnitron_cargo_company_id"],
                orders=group["orders"],
                sample=sample,
            )
        )
    return pairs


def checks_with_orders(pairs: list[OrderPair]) -> list[CheckItem]:
    """The channels that have orders, the cargo companies they name, and each pair's routing."""
    unlinked_ids = sorted(
        {
            pair.omnitron_cargo_company_id
            for pair in pairs
            if pair.cargo_company is None and pair.omnitron_cargo_company_id is not None
        }
    )
    # Cargo companies created after their orders arrived (those orders are not linked to them yet).
    late = CargoCompany.objects.in_bulk(unlinked_ids, field_name="omnitron_id")
    return [*_channel_checks(pairs), *_cargo_company_checks(pairs, late), *_routing_checks(pairs, late)]


def _channel_checks(pairs: list[OrderPair]) -> list[CheckItem]:
    """Each channel with orders must have a type."""
    items: list[CheckItem] = []
    by_channel: dict[int, list[OrderPair]] = defaultdict(list)
    for pair in pairs:
        by_channel[pair.channel.pk].append(pair)
    for channel_pairs in by_channel.values():
        channel = channel_pairs[0].channel
        total = sum(pair.orders for pair in channel_pairs)
        without = sum(
            pair.orders
            for pair in channel_pairs
            if pair.cargo_company is None and pair.omnitron_cargo_company_id is None
        )
        extra = f"; {plural(total, 'order')}"
        if without:
            extra += (
                f" ({without} arrived with no cargo company in Omnitron: they cannot be packed until "
                "the marketplace assigns one and Omnitron's order carries it)"
            )
        items.append(channel_item(channel, extra))
    return items


def _cargo_company_checks(pairs: list[OrderPair], late: dict[int, CargoCompany]) -> list[CheckItem]:
    """Every cargo company the orders name must exist in OMS and be linked to them."""
    items: list[CheckItem] = []
    companies: dict[Any, list[OrderPair]] = defaultdict(list)
    for pair in pairs:
        if pair.cargo_company is not None:
            companies[("known", pair.cargo_company.pk)].append(pair)
        elif pair.omnitron_cargo_company_id is not None:
            companies[("unknown", pair.omnitron_cargo_company_id)].append(pair)
    for (kind, key), company_pairs in companies.items():
        orders = sum(pair.orders for pair in company_pairs)
        channels = ", ".join(sorted({pair.channel.name for pair in company_pairs}))
        if kind == "known":
            company = company_pairs[0].cargo_company
            items.append(
                CheckItem(
                    True,
                    f"Cargo company {company_label(company)}",
                    f"exists; {plural(orders, 'order')} of {channels}.",
                )
            )
            continue
        existing = late.get(key)
        if existing is not None:
            items.append(
                CheckItem(
                    False,
                    f"Cargo company {company_label(existing)}",
                    f"exists, but is not linked to {plural(orders, 'order')} of {channels} that arrived "
                    "before it was created: they cannot be packed.",
                    "oms sync_cargo_companies  (links orders to their cargo company)",
                )
            )
            continue
        body = {"name": "<its name in Omnitron>", "omnitron_id": key}
        items.append(
            CheckItem(
                False,
                f"Cargo company Omnitron {key}",
                f"Omnitron cargo company {key}, named by {plural(orders, 'order')} of {channels}, is not "
                "in OMS: those orders cannot be packed.",
                "oms sync_cargo_companies  (creates it from Omnitron and links these orders)  or  "
                f"POST {CARGO_COMPANIES_URL} {json_body(body)}  (for orders arriving from now on: it "
                "does not link the orders already here)",
            )
        )
    return items


def _routing_checks(pairs: list[OrderPair], late: dict[int, CargoCompany]) -> list[CheckItem]:
    """Each (channel, cargo company) pair must reach OmnitronShipmentClient, by the real routing."""
    items: list[CheckItem] = []
    for pair in pairs:
        channel = pair.channel
        if pair.cargo_company is None:
            if pair.omnitron_cargo_company_id is None:
                continue  # no cargo company at all: said on the channel's line
            key = pair.omnitron_cargo_company_id
            existing = late.get(key)
            if existing is not None:
                then = route_fix(channel=channel, cargo_company_id=existing.pk)
            else:
                then = f"oms setup_marketplace --channel {channel.pk} --cargo-company <its new OMS id>"
            items.append(
                CheckItem(
                    False,
                    f"Route {channel.name} orders of Omnitron cargo company {key} to OmnitronShipmentClient",
                    f"{plural(pair.orders, 'order')} cannot be routed while their cargo company is missing "
                    "in OMS (see above).",
                    f"oms sync_cargo_companies, then, if no condition routes it yet: {then}",
                )
            )
            continue
        company = pair.cargo_company
        title = f"Route {channel.name} orders of {company.name} to OmnitronShipmentClient"
        try:
            client_cls = shipment_client_route(
                channel_id=channel.pk,
                channel_type=channel.channel_type,
                cargo_company_id=company.pk,
                order_number=pair.sample.number,
                omnitron_cargo_company_id=pair.omnitron_cargo_company_id,
            )
        except NoRouteError:
            items.append(
                CheckItem(
                    False,
                    title,
                    f"no condition of cargo company {company_label(company)} matches channel "
                    f"{channel_label(channel)}: {PACKAGING_SLUG} refuses its "
                    f"{plural(pair.orders, 'order')}.",
                    route_fix(channel=channel, cargo_company_id=company.pk),
                )
            )
            continue
        if client_cls is OmnitronShipmentClient:
            items.append(
                CheckItem(
                    True,
                    title,
                    f"a condition of {company.name} routes them ({plural(pair.orders, 'order')}).",
                )
            )
        else:
            items.append(
                CheckItem(
                    False,
                    title,
                    f"a condition of {company.name} routes them to {client_cls.path}, not to "
                    "OmnitronShipmentClient (an earlier condition or rule wins).",
                    f"change that condition (GET {CONDITIONS_URL}?cargo_company={company.pk}), or "
                    + route_fix(channel=channel, cargo_company_id=company.pk),
                )
            )
    return items
