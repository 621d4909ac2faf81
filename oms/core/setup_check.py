"""The seed's setup checklist, checked: what the marketplace flow still lacks, and how to close each gap.

`setup_check` looks at the channels that have orders (or, before the first order, every active
channel): each must have a type; every cargo company its orders name must exist in OMS (and be
linked to them); a condition must route each (channel, cargo company) pair seen on orders to
`OmnitronShipmentClient` (checked with the real routing, on one representative order per pair);
the three `CHANNEL_BASED_COMPLETE_PACKAGING` transitions must exist; `AUTO_RUN_SHIP_THE_PACKAGE_COMMAND`
must be true; and Omnitron must answer with the configured credentials. Every gap comes with the API
call or `oms` command that closes it.

The number of queries does not depend on the number of orders: orders are aggregated per (channel,
cargo company) pair, and routing costs one query per pair.
"""

import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Count, Min

from oms.channels.models import Channel
from oms.configuration.models import ApplicationSetting
from oms.configuration.services import application_setting_get
from oms.core.statuses import PackageStatus, status_name
from oms.omnitron.client import omnitron_client_get
from oms.omnitron.errors import (
    OmnitronAuthenticationFailed,
    OmnitronError,
    OmnitronNotConfigured,
    OmnitronUnavailable,
)
from oms.orders.models import Order
from oms.shipments.clients.omnitron_shipment_client import OmnitronShipmentClient
from oms.shipments.models import CargoCompany
from oms.shipments.services import NoRouteError, shipment_client_route
from oms.shipments.shipment_conditions import ChannelBasedOrdersCondition
from oms.transitions.models import StateTransition, TransitionModel
from oms.transitions.services import MARKETPLACE_TRANSITIONS, channel_condition_exists

PACKAGING_SLUG = "CHANNEL_BASED_COMPLETE_PACKAGING"
AUTO_RUN_KEY = "AUTO_RUN_SHIP_THE_PACKAGE_COMMAND"
OMNITRON_SETTINGS_KEY = "OMNITRON_CLIENT_SETTINGS"
SETTINGS_URL = "/api/v1/oms/settings/application_settings/"
TRANSITIONS_URL = "/api/v1/oms/state-transitions/"
CONDITIONS_URL = "/api/v1/oms/cargo-company-conditions/"
CARGO_COMPANIES_URL = "/api/v1/oms/cargo-companies/"
CHANNELS_URL = "/api/v1/oms/channels/"
# Web orders are not marketplace orders: before any order exists, they are not expected to be routed.
NON_MARKETPLACE_TYPES = frozenset({"web"})
# The connection check must answer quickly: one attempt, short timeouts.
OMNITRON_CHECK_OPTIONS = {"connect_timeout": 3, "read_timeout": 5, "max_attempts": 1}
# Separates the alternatives of one fix ("oms setup_marketplace  or  POST ...").
FIX_SEPARATOR = "  or  "


@dataclass(frozen=True)
class CheckItem:
    """One line of the checklist. `fix` is the API call or `oms` command that closes the gap."""

    ok: bool
    title: str
    detail: str
    fix: str = ""


@dataclass
class SetupReport:
    items: list[CheckItem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(item.ok for item in self.items)

    @property
    def missing(self) -> list[CheckItem]:
        return [item for item in self.items if not item.ok]


def _body(data: dict[str, Any]) -> str:
    return json.dumps(data)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _condition_body(*, cargo_company_id: int | str, channel_id: int | str, channel_type: str) -> str:
    # The seed's body; ids that are not known yet are shown as placeholders (strings).
    body = {
        "cargo_company": cargo_company_id,
        "rules_configuration": {
            "rules": [
                {
                    "klass": ChannelBasedOrdersCondition.path,
                    "params": {
                        "condition_type": channel_type or "sales_channel",
                        "channels": [channel_id],
                        "conf": {"klass": OmnitronShipmentClient.path},
                    },
                }
            ]
        },
    }
    return f"POST {CONDITIONS_URL} {_body(body)}"


def _route_fix(*, channel: Channel, cargo_company_id: int | str) -> str:
    return (
        f"oms setup_marketplace --channel {channel.pk} --cargo-company {cargo_company_id}  or  "
        + _condition_body(
            cargo_company_id=cargo_company_id, channel_id=channel.pk, channel_type=channel.channel_type
        )
    )


def _channel_label(channel: Channel) -> str:
    omnitron = f", Omnitron {channel.omnitron_id}" if channel.omnitron_id is not None else ""
    return f"{channel.name} (id {channel.pk}{omnitron})"


def _company_label(company: CargoCompany) -> str:
    omnitron = f", Omnitron {company.omnitron_id}" if company.omnitron_id is not None else ""
    return f"{company.name} (id {company.pk}{omnitron})"


def _channel_item(channel: Channel, detail_extra: str) -> CheckItem:
    title = f"Channel {_channel_label(channel)}"
    if channel.channel_type.strip():
        return CheckItem(True, title, f"registered with type '{channel.channel_type}'{detail_extra}.")
    return CheckItem(
        False,
        title,
        "has no channel type: the seed requires the channel's type (e.g. sales_channel, trendyol), "
        f"which conditions without a channel list match on{detail_extra}.",
        f'PATCH {CHANNELS_URL}{channel.pk}/ {{"channel_type": "sales_channel"}} (the type Omnitron gives '
        "it)  or  oms sync_channels",
    )


@dataclass
class _Pair:
    """Orders of one channel with one cargo company (known to OMS or not), with a sample order."""

    channel: Channel
    cargo_company: CargoCompany | None
    omnitron_cargo_company_id: int | None
    orders: int
    sample: Order


def _pairs() -> list[_Pair]:
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
            _Pair(
                channel=sample.channel,
                cargo_company=sample.cargo_company,
                omnitron_cargo_company_id=group["omnitron_cargo_company_id"],
                orders=group["orders"],
                sample=sample,
            )
        )
    return pairs


def _checks_with_orders(pairs: list[_Pair]) -> list[CheckItem]:
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


def _channel_checks(pairs: list[_Pair]) -> list[CheckItem]:
    """Each channel with orders must have a type."""
    items: list[CheckItem] = []
    by_channel: dict[int, list[_Pair]] = defaultdict(list)
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
        extra = f"; {_plural(total, 'order')}"
        if without:
            extra += (
                f" ({without} arrived with no cargo company in Omnitron: they cannot be packed until "
                "the marketplace assigns one and Omnitron's order carries it)"
            )
        items.append(_channel_item(channel, extra))
    return items


def _cargo_company_checks(pairs: list[_Pair], late: dict[int, CargoCompany]) -> list[CheckItem]:
    """Every cargo company the orders name must exist in OMS and be linked to them."""
    items: list[CheckItem] = []
    companies: dict[Any, list[_Pair]] = defaultdict(list)
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
                    f"Cargo company {_company_label(company)}",
                    f"exists; {_plural(orders, 'order')} of {channels}.",
                )
            )
            continue
        existing = late.get(key)
        if existing is not None:
            items.append(
                CheckItem(
                    False,
                    f"Cargo company {_company_label(existing)}",
                    f"exists, but is not linked to {_plural(orders, 'order')} of {channels} that arrived "
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
                f"Omnitron cargo company {key}, named by {_plural(orders, 'order')} of {channels}, is not "
                "in OMS: those orders cannot be packed.",
                "oms sync_cargo_companies  (creates it from Omnitron and links these orders)  or  "
                f"POST {CARGO_COMPANIES_URL} {_body(body)}  (for orders arriving from now on: it does not "
                "link the orders already here)",
            )
        )
    return items


def _routing_checks(pairs: list[_Pair], late: dict[int, CargoCompany]) -> list[CheckItem]:
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
                then = _route_fix(channel=channel, cargo_company_id=existing.pk)
            else:
                then = f"oms setup_marketplace --channel {channel.pk} --cargo-company <its new OMS id>"
            items.append(
                CheckItem(
                    False,
                    f"Route {channel.name} orders of Omnitron cargo company {key} to OmnitronShipmentClient",
                    f"{_plural(pair.orders, 'order')} cannot be routed while their cargo company is missing "
                    "in OMS (see above).",
                    f"oms sync_cargo_companies, then, if no condition routes it yet: {then}",
                )
            )
            continue
        company = pair.cargo_company
        title = f"Route {channel.name} orders of {company.name} to OmnitronShipmentClient"
        try:
            client_cls = shipment_client_route(order=pair.sample)
        except NoRouteError:
            items.append(
                CheckItem(
                    False,
                    title,
                    f"no condition of cargo company {_company_label(company)} matches channel "
                    f"{_channel_label(channel)}: {PACKAGING_SLUG} refuses its "
                    f"{_plural(pair.orders, 'order')}.",
                    _route_fix(channel=channel, cargo_company_id=company.pk),
                )
            )
            continue
        if client_cls is OmnitronShipmentClient:
            items.append(
                CheckItem(
                    True,
                    title,
                    f"a condition of {company.name} routes them ({_plural(pair.orders, 'order')}).",
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
                    + _route_fix(channel=channel, cargo_company_id=company.pk),
                )
            )
    return items


def _checks_without_orders() -> list[CheckItem]:
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
            items.append(_channel_item(channel, "; no orders yet"))
    if not companies:
        body = {"name": "<its name in Omnitron>", "omnitron_id": "<its id in Omnitron>"}
        items.append(
            CheckItem(
                False,
                "Cargo companies",
                "OMS has no cargo companies: the orders' cargo companies must exist in OMS, with the "
                "Omnitron id the orders carry.",
                f"oms sync_cargo_companies  or  POST {CARGO_COMPANIES_URL} {_body(body)}",
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
                + _condition_body(
                    cargo_company_id="<OMS cargo company id>",
                    channel_id="<OMS channel id>",
                    channel_type="sales_channel",
                ),
            )
        )
        return items
    known = ", ".join(_company_label(company) for company in companies) or "none yet"
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
                f"no cargo company has a condition routing channel {_channel_label(channel)} to "
                f"OmnitronShipmentClient (cargo companies: {known}).",
                prefix + _route_fix(channel=channel, cargo_company_id=company_id),
            )
        )
    return items


# The transitions checked: packaging, and the cancellations (oms.orders.cancellations).
CHECKED_SLUGS = (PACKAGING_SLUG, "CANCEL_PACKAGE", "CANCEL_PACKED_PACKAGE")


def _transition_checks() -> list[CheckItem]:
    rows = list(
        StateTransition.objects.filter(model=TransitionModel.PACKAGE, slug__in=CHECKED_SLUGS).values(
            "id", "slug", "command", "source_state", "destination_state"
        )
    )
    by_source = {(row["slug"], row["source_state"]): row for row in rows}
    items = []
    for slug, source, destination in MARKETPLACE_TRANSITIONS:
        if slug not in CHECKED_SLUGS:
            continue
        source_name = status_name(PackageStatus, source)
        destination_name = status_name(PackageStatus, destination)
        title = f"Transition {slug}: {source_name} -> {destination_name}"
        row = by_source.get((slug, source))
        if row is None:
            body = {
                "command": slug,
                "slug": slug,
                "source_state": source_name,
                "destination_state": destination_name,
            }
            items.append(
                CheckItem(
                    False,
                    title,
                    f"not defined: {slug} cannot run on a {source_name} package.",
                    f"oms setup_marketplace  or  POST {TRANSITIONS_URL} {_body(body)}",
                )
            )
        elif row["command"] != slug or row["destination_state"] != destination:
            items.append(
                CheckItem(
                    False,
                    title,
                    f"transition {row['id']} has this slug and source but runs {row['command']} to "
                    f"'{status_name(PackageStatus, row['destination_state'])}'.",
                    f"PATCH {TRANSITIONS_URL}{row['id']}/ "
                    + _body({"command": slug, "destination_state": destination_name}),
                )
            )
        else:
            items.append(CheckItem(True, title, f"defined (id {row['id']})."))
    return items


def _setting_ids() -> dict[str, int]:
    return dict(
        ApplicationSetting.objects.filter(key__in=[AUTO_RUN_KEY, OMNITRON_SETTINGS_KEY]).values_list(
            "key", "id"
        )
    )


def _auto_run_check(setting_ids: dict[str, int]) -> CheckItem:
    title = f"Setting {AUTO_RUN_KEY} = true"
    value = application_setting_get(AUTO_RUN_KEY)
    if value is True:
        return CheckItem(True, title, "packed marketplace shipments are followed in Omnitron.")
    row_id = setting_ids.get(AUTO_RUN_KEY)
    if row_id is None:
        shown = "not set (false by default)"
        call = f"POST {SETTINGS_URL} " + _body({"key": AUTO_RUN_KEY, "json_value": True})
    else:
        shown = f"set to {json.dumps(value)} (id {row_id})"
        call = f"PATCH {SETTINGS_URL}{row_id}/ " + _body({"json_value": True})
    return CheckItem(
        False,
        title,
        f"{shown}: packed shipments are never moved to shipped, attempted delivery or delivered.",
        f"oms setup_marketplace  or  {call}",
    )


def omnitron_connection_check(setting_ids: dict[str, int] | None = None) -> CheckItem:
    """Log in to the configured Omnitron and read its channels, once, with short timeouts.

    Not configured, wrong credentials and unreachable are told apart. The client shares one token
    per (URL, username) within a process, so the login is really made only when this process has
    none cached yet (always so for `oms check_setup`).
    """
    title = "Omnitron connection"
    setting_ids = _setting_ids() if setting_ids is None else setting_ids
    configured = application_setting_get(OMNITRON_SETTINGS_KEY)
    row_id = setting_ids.get(OMNITRON_SETTINGS_KEY)
    example = {"url": "https://<omnitron host>", "username": "<user>", "password": "<password>"}
    if configured:
        source = f"the {OMNITRON_SETTINGS_KEY} application setting (id {row_id})"
        change = f"PATCH {SETTINGS_URL}{row_id}/ " + _body({"json_value": example})
    else:
        source = "the OMNITRON_URL, OMNITRON_USERNAME and OMNITRON_PASSWORD environment variables"
        change = (
            "set OMNITRON_URL, OMNITRON_USERNAME and OMNITRON_PASSWORD and restart OMS  or  "
            f"POST {SETTINGS_URL} " + _body({"key": OMNITRON_SETTINGS_KEY, "json_value": example})
        )
    try:
        client = omnitron_client_get(**OMNITRON_CHECK_OPTIONS)
    except OmnitronNotConfigured:
        values = configured or {
            "url": settings.OMNITRON_URL,
            "username": settings.OMNITRON_USERNAME,
            "password": settings.OMNITRON_PASSWORD,
        }
        missing = ", ".join(name for name in ("url", "username", "password") if not values.get(name))
        return CheckItem(
            False,
            title,
            f"not configured: {missing} missing in {source}, so OMS cannot read orders from Omnitron nor "
            "report to it. (`oms serve` with no OMNITRON_URL starts the sandbox and sets them.)",
            change,
        )
    where = f"{client.base_url} as {client.username!r} (from {source})"
    try:
        with client:
            channels = client.channels_list()
    except OmnitronAuthenticationFailed as exc:
        return CheckItem(
            False,
            title,
            f"wrong credentials: Omnitron at {where} refused them: {exc}",
            f"correct the username and password: {change}",
        )
    except OmnitronUnavailable as exc:
        return CheckItem(
            False,
            title,
            f"unreachable: Omnitron at {where} did not answer: {exc}",
            "check that the URL is Omnitron's and reachable from this machine (address, network, "
            f"firewall), and that Omnitron is up; to change it: {change}",
        )
    except OmnitronError as exc:
        return CheckItem(
            False,
            title,
            f"Omnitron at {where} answered unexpectedly: {exc}",
            f"check that the URL is Omnitron's base URL (no /api/ path); to change it: {change}",
        )
    return CheckItem(True, title, f"logged in to {where} and read {_plural(len(channels), 'channel')}.")


def setup_check(*, check_omnitron: bool = True) -> SetupReport:
    """Walk the seed's setup checklist; each gap comes with the call or command that closes it."""
    report = SetupReport()
    pairs = _pairs()
    report.items.extend(_checks_with_orders(pairs) if pairs else _checks_without_orders())
    report.items.extend(_transition_checks())
    setting_ids = _setting_ids()
    report.items.append(_auto_run_check(setting_ids))
    if check_omnitron:
        report.items.append(omnitron_connection_check(setting_ids))
    return report
