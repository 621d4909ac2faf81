"""The demo's set-up: the seed's checklist, completed through OMS's API where something is missing."""

from typing import Any

from oms.configuration.keys import AUTO_RUN_SHIP_THE_PACKAGE_COMMAND as AUTO_RUN_KEY
from oms.core.statuses import PackageStatus, status_name
from oms.operations.demo.transport import API, DemoHttp
from oms.operations.marketplace import MARKETPLACE_TRANSITIONS, PACKAGING_SLUG
from oms.shipments.routes import rules_on_omnitron_route, seed_route_configuration

DEMO_CHANNEL = 42
DEMO_CARGO_COMPANY = 7
# The packaging transitions as the API names their states: (source, destination).
PACKAGING_MOVES = [
    (status_name(PackageStatus, source), status_name(PackageStatus, destination))
    for slug, source, destination in MARKETPLACE_TRANSITIONS
    if slug == PACKAGING_SLUG
]


class DemoSetup(DemoHttp):
    """Makes sure the sandbox's cargo company and channel, the packaging transitions, the setting,
    the seed's condition and the sandbox's push are in place."""

    def _cargo_company_ensure(self) -> dict[str, Any]:
        what = f"Looking for cargo company {DEMO_CARGO_COMPANY} in OMS"
        company = self._first("/cargo-companies/", {"omnitron_id": DEMO_CARGO_COMPANY}, what)
        if company is not None:
            self.screen.say(
                f"  ok       cargo company {company['name']} (id {company['id']}, Omnitron "
                f"{DEMO_CARGO_COMPANY})"
            )
            return company
        record = self._sandbox_record("cargo_companies", DEMO_CARGO_COMPANY)
        body = {
            "name": record["name"],
            "erp_code": record.get("erp_code") or "",
            "shipping_company": record.get("shipping_company") or "",
            "omnitron_id": DEMO_CARGO_COMPANY,
        }
        company = self._create_or_get(
            "/cargo-companies/",
            body,
            lambda: self._first("/cargo-companies/", {"omnitron_id": DEMO_CARGO_COMPANY}, what),
            "Creating the cargo company",
        )
        self.screen.say(
            f"  created  cargo company {company['name']} (id {company['id']}, Omnitron "
            f"{DEMO_CARGO_COMPANY}): POST {API}/cargo-companies/"
        )
        return company

    def _channel_ensure(self) -> dict[str, Any]:
        what = f"Looking for channel {DEMO_CHANNEL} in OMS"
        channel = self._first("/channels/", {"omnitron_id": DEMO_CHANNEL}, what)
        if channel is not None:
            self.screen.say(
                f"  ok       channel {channel['name']} (id {channel['id']}, Omnitron {DEMO_CHANNEL}, "
                f"type {channel['channel_type']})"
            )
            return channel
        record = self._sandbox_record("channels", DEMO_CHANNEL)
        body = {
            "name": record["name"],
            "channel_type": record.get("channel_type") or "sales_channel",
            "omnitron_id": DEMO_CHANNEL,
            "is_active": bool(record.get("is_active", True)),
        }
        channel = self._create_or_get(
            "/channels/",
            body,
            lambda: self._first("/channels/", {"omnitron_id": DEMO_CHANNEL}, what),
            "Creating the channel",
        )
        self.screen.say(
            f"  created  channel {channel['name']} (id {channel['id']}, Omnitron {DEMO_CHANNEL}, type "
            f"{channel['channel_type']}): POST {API}/channels/ (ingestion would also create it)"
        )
        return channel

    def _transitions_by_source(self) -> dict[str, dict[str, Any]]:
        rows = self._api(
            "GET",
            "/state-transitions/",
            what="Reading the state transitions",
            params={"slug": PACKAGING_SLUG, "model": "package", "page_size": 500},
        )["results"]
        return {row["source_state"]: row for row in rows}

    def _transitions_ensure(self) -> None:
        by_source = self._transitions_by_source()
        for source, destination in PACKAGING_MOVES:
            label = f"transition {PACKAGING_SLUG}: {source} -> {destination}"
            row = by_source.get(source)
            if row is None:
                body = {
                    "model": "package",
                    "command": PACKAGING_SLUG,
                    "slug": PACKAGING_SLUG,
                    "name": PACKAGING_SLUG.replace("_", " ").capitalize(),
                    "source_state": source,
                    "destination_state": destination,
                }
                created = self._create_or_get(
                    "/state-transitions/",
                    body,
                    lambda source=source: self._transitions_by_source().get(source),
                    f"Creating the {label}",
                )
                self.screen.say(f"  created  {label} (id {created['id']}): POST {API}/state-transitions/")
            elif row["command"] != PACKAGING_SLUG or row["destination_state"] != destination:
                self._api(
                    "PATCH",
                    f"/state-transitions/{row['id']}/",
                    what=f"Correcting the {label}",
                    json={"command": PACKAGING_SLUG, "destination_state": destination},
                )
                self.screen.say(
                    f"  fixed    {label} (id {row['id']} ran {row['command']} to "
                    f"{row['destination_state']}): PATCH"
                )
            else:
                self.screen.say(f"  ok       {label} (id {row['id']})")

    def _auto_run_ensure(self) -> None:
        what = f"Reading {AUTO_RUN_KEY}"
        label = f"setting {AUTO_RUN_KEY} = true"
        path = "/settings/application_settings/"
        row = self._first(path, {"key": AUTO_RUN_KEY}, what)
        if row is None:
            row = self._create_or_get(
                path,
                {"key": AUTO_RUN_KEY, "json_value": True},
                lambda: self._first(path, {"key": AUTO_RUN_KEY}, what),
                f"Setting {label}",
            )
            if row["json_value"] is True:
                self.screen.say(f"  created  {label} (id {row['id']}): POST {API}{path}")
                return
        if row["json_value"] is True:
            self.screen.say(f"  ok       {label} (id {row['id']})")
            return
        self._api("PATCH", f"{path}{row['id']}/", what=f"Setting {label}", json={"json_value": True})
        self.screen.say(
            f"  set      {label} (id {row['id']}, was {row['json_value']!r}): PATCH {API}{path}{row['id']}/"
        )

    def _condition_ensure(self, *, channel: dict[str, Any], cargo_company: dict[str, Any]) -> None:
        path = "/cargo-company-conditions/"
        label = (
            f"condition routing {channel['name']} (id {channel['id']}) orders of {cargo_company['name']} "
            "to OmnitronShipmentClient"
        )
        conditions = self._api(
            "GET",
            path,
            what="Reading the cargo company conditions",
            params={"cargo_company": cargo_company["id"], "page_size": 500},
        )["results"]
        for condition in conditions:
            if rules_on_omnitron_route(
                condition.get("rules_configuration"),
                channel_id=channel["id"],
                channel_type=channel["channel_type"],
            ):
                self.screen.say(f"  ok       {label} (id {condition['id']})")
                return
        body = {
            "cargo_company": cargo_company["id"],
            "rules_configuration": seed_route_configuration(
                channel_id=channel["id"], channel_type=channel["channel_type"]
            ),
        }
        created = self._api("POST", path, what=f"Creating the {label}", json=body, expect=(201,))
        self.screen.say(f"  created  {label} (id {created['id']}): POST {API}{path}")

    def _push_ensure(self) -> None:
        status = self._control("GET", "/push/", what="Reading the sandbox's push configuration")
        target = f"{self.url}{API}/omnitron/orders/"
        if status.get("enabled") and status.get("url"):
            self.screen.say(f"  ok       the sandbox pushes new orders to {status['url']}")
            return
        self._control(
            "POST",
            "/push/",
            what="Configuring the sandbox's push",
            json={
                "url": target,
                "token": self.oms.headers["Authorization"].removeprefix("Token "),
                "enabled": True,
            },
        )
        self.screen.say(
            f"  set      the sandbox now pushes new orders to {target} (as "
            f"{self.options.username}): POST /_sandbox/push/"
        )
