"""Checks before the first order: every active channel, and the cargo companies OMS has."""

from oms.channels.models import Channel
from oms.operations.marketplace import channel_condition_exists
from oms.operations.setup_check.items import (
    CARGO_COMPANIES_URL,
    CHANNELS_URL,
    NON_MARKETPLACE_TYPES,
    CheckItem,
    channel_item,
    channel_label,
    company_label,
    condition_body,
    json_body,
    route_fix,
)
from oms.shipments.models import CargoCompany


def checks_without_orders() -> list[CheckItem]:
    """Before the first order: every active channel, and the cargo companies OMS has."""
    items: list[CheckItem] = []
    channels = list(Channel.objects.filter(is_active=True).order_by("id"))
    companies = list(CargoCompany.objects.order_by("id"))
    if not channels:
        inactive = Channel.objects.exists()
        items.append(
            CheckItem(
                False,
                "Channels",
                (
                    "OMS has channels, but none is active"
                    if inactive
                    else "OMS has no channels and no orders yet"
                )
                + ": channels come from Omnitron, or are created when their first order arrives.",
                "oms sync_channels"
                + (f'  or  PATCH {CHANNELS_URL}<id>/ {{"is_active": true}}' if inactive else ""),
            )
        )
    else:
        for channel in channels:
            items.append(channel_item(channel, "; no orders yet"))
    if not companies:
        body = {"name": "<its name in Omnitron>", "omnitron_id": "<its id in Omnitron>"}
        items.append(
            CheckItem(
                False,
                "Cargo companies",
                "OMS has no cargo companies: the orders' cargo companies must exist in OMS, with the "
                "Omnitron id the orders carry.",
                f"oms sync_cargo_companies  or  POST {CARGO_COMPANIES_URL} {json_body(body)}",
            )
        )
    if not channels:
        items.append(
            CheckItem(
                False,
                "Route marketplace orders to OmnitronShipmentClient",
                "no channel to route yet: each marketplace channel needs a condition of its cargo company.",
                "once channels and cargo companies exist: oms setup_marketplace --channel <OMS channel id> "
                "--cargo-company <OMS cargo company id>  or  "
                + condition_body(
                    cargo_company_id="<OMS cargo company id>",
                    channel_id="<OMS channel id>",
                    channel_type="sales_channel",
                ),
            )
        )
        return items
    known = ", ".join(company_label(company) for company in companies) or "none yet"
    for channel in channels:
        title = f"Route {channel.name} orders to OmnitronShipmentClient"
        if channel.channel_type in NON_MARKETPLACE_TYPES:
            items.append(
                CheckItem(True, title, f"not needed: a {channel.channel_type} channel, not a marketplace.")
            )
            continue
        routed = [
            company.name
            for company in companies
            if channel_condition_exists(cargo_company=company, channel=channel)
        ]
        if routed:
            items.append(CheckItem(True, title, f"routed by the condition(s) of {', '.join(routed)}."))
            continue
        company_id: int | str = companies[0].pk if len(companies) == 1 else "<OMS cargo company id>"
        prefix = "" if companies else "oms sync_cargo_companies, then "
        items.append(
            CheckItem(
                False,
                title,
                f"no cargo company has a condition routing channel {channel_label(channel)} to "
                f"OmnitronShipmentClient (cargo companies: {known}).",
                prefix + route_fix(channel=channel, cargo_company_id=company_id),
            )
        )
    return items
