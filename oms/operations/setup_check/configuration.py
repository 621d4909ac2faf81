"""Checks of the configuration rows: the packaging and cancellation transitions and the auto-run
setting."""

import json

from oms.configuration.keys import AUTO_RUN_SHIP_THE_PACKAGE_COMMAND as AUTO_RUN_KEY
from oms.configuration.keys import OMNITRON_CLIENT_SETTINGS as OMNITRON_SETTINGS_KEY
from oms.configuration.models import ApplicationSetting
from oms.configuration.services import application_setting_get
from oms.core.statuses import PackageStatus, status_name
from oms.operations.marketplace import MARKETPLACE_TRANSITIONS, PACKAGING_SLUG
from oms.operations.setup_check.items import SETTINGS_URL, TRANSITIONS_URL, CheckItem, json_body
from oms.packages.cancel_commands import (
    CancelPackageCommand,
    CancelPackedPackageCommand,
    RepackPackageCommand,
)
from oms.transitions.models import StateTransition, TransitionModel

# The transitions checked: packaging, and the cancellations (oms.orders.cancellations).
CHECKED_SLUGS = (
    PACKAGING_SLUG,
    CancelPackageCommand.code,
    CancelPackedPackageCommand.code,
    RepackPackageCommand.code,
)


def transition_checks() -> list[CheckItem]:
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
                    f"oms setup_marketplace  or  POST {TRANSITIONS_URL} {json_body(body)}",
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
                    + json_body({"command": slug, "destination_state": destination_name}),
                )
            )
        else:
            items.append(CheckItem(True, title, f"defined (id {row['id']})."))
    return items


def setting_ids_get() -> dict[str, int]:
    return dict(
        ApplicationSetting.objects.filter(key__in=[AUTO_RUN_KEY, OMNITRON_SETTINGS_KEY]).values_list(
            "key", "id"
        )
    )


def auto_run_check(setting_ids: dict[str, int]) -> CheckItem:
    title = f"Setting {AUTO_RUN_KEY} = true"
    value = application_setting_get(AUTO_RUN_KEY)
    if value is True:
        return CheckItem(True, title, "packed marketplace shipments are followed in Omnitron.")
    row_id = setting_ids.get(AUTO_RUN_KEY)
    if row_id is None:
        shown = "not set (false by default)"
        call = f"POST {SETTINGS_URL} " + json_body({"key": AUTO_RUN_KEY, "json_value": True})
    else:
        shown = f"set to {json.dumps(value)} (id {row_id})"
        call = f"PATCH {SETTINGS_URL}{row_id}/ " + json_body({"json_value": True})
    return CheckItem(
        False,
        title,
        f"{shown}: packed shipments are never moved to shipped, attempted delivery or delivered.",
        f"oms setup_marketplace  or  {call}",
    )
