"""The setup check's vocabulary: checklist items, the report, and the fixes they propose."""

import json
from dataclasses import dataclass, field
from typing import Any

from oms.channels.models import Channel
from oms.shipments.models import CargoCompany
from oms.shipments.routes import seed_route_configuration

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


def json_body(data: dict[str, Any]) -> str:
    return json.dumps(data)


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def condition_body(*, cargo_company_id: int | str, channel_id: int | str, channel_type: str) -> str:
    # The seed's body; ids that are not known yet are shown as placeholders (strings).
    body = {
        "cargo_company": cargo_company_id,
        "rules_configuration": seed_route_configuration(channel_id=channel_id, channel_type=channel_type),
    }
    return f"POST {CONDITIONS_URL} {json_body(body)}"


def route_fix(*, channel: Channel, cargo_company_id: int | str) -> str:
    return (
        f"oms setup_marketplace --channel {channel.pk} --cargo-company {cargo_company_id}  or  "
        + condition_body(
            cargo_company_id=cargo_company_id, channel_id=channel.pk, channel_type=channel.channel_type
        )
    )


def channel_label(channel: Channel) -> str:
    omnitron = f", Omnitron {channel.omnitron_id}" if channel.omnitron_id is not None else ""
    return f"{channel.name} (id {channel.pk}{omnitron})"


def company_label(company: CargoCompany) -> str:
    omnitron = f", Omnitron {company.omnitron_id}" if company.omnitron_id is not None else ""
    return f"{company.name} (id {company.pk}{omnitron})"


def channel_item(channel: Channel, detail_extra: str) -> CheckItem:
    title = f"Channel {channel_label(channel)}"
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
