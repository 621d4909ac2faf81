"""`oms demo`: the whole marketplace flow against a running `oms serve`, over HTTP only.

The demo is a client of OMS's API (it logs in with a staff user's password) and of the Omnitron
sandbox's control endpoints (`/_sandbox/...`). It never opens the database, so it works against a
remote `oms serve` as well as a local one. It:

1. completes the setup through the API where something is missing: the sandbox's cargo company 7
   and channel 42, the three `CHANNEL_BASED_COMPLETE_PACKAGING` transitions,
   `AUTO_RUN_SHIP_THE_PACKAGE_COMMAND = true` and the seed's condition; and makes sure the sandbox
   pushes new orders to OMS;
2. creates N orders in the sandbox and waits for the push to bring them to OMS;
3. packs each package with the seed's command and waits for the preparing report to reach Omnitron;
4. moves each order in the sandbox to 500, 540 and 550 and waits, each time, for OMS's background
   resolution to move the packages to shipped, attempted_delivery and delivered.

A table of the orders is shown throughout: redrawn in place on a terminal, as progressive lines
otherwise.
"""

import secrets
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from oms.core.demo_cancellation import cancellation_show
from oms.shipments.clients.omnitron_shipment_client import OmnitronShipmentClient
from oms.shipments.shipment_conditions import ChannelBasedOrdersCondition

API = "/api/v1/oms"
PACKAGING_SLUG = "CHANNEL_BASED_COMPLETE_PACKAGING"
PACKAGING_SOURCES = ("waiting", "preparing", "ready_to_pack")
AUTO_RUN_KEY = "AUTO_RUN_SHIP_THE_PACKAGE_COMMAND"
DEMO_CHANNEL = 42
DEMO_CARGO_COMPANY = 7
ITEMS_PER_ORDER = 2
# Omnitron order status set in the sandbox -> the package status OMS must reach.
STEPS = (("500", "shipped"), ("540", "attempted_delivery"), ("550", "delivered"))
PACKAGE_PROGRESS = (
    "waiting",
    "preparing",
    "ready_to_pack",
    "packed",
    "shipped",
    "attempted_delivery",
    "delivered",
)
FINAL_REPORT_STATES = ("rejected", "given_up")
# How long an order may take to arrive by push before the demo sends it to OMS by pk itself.
PUSH_GRACE_SECONDS = 20.0
POLL_SECONDS = 0.5
PROGRESS_EVERY_SECONDS = 5.0
REQUEST_TIMEOUT_SECONDS = 30.0
SPINNER = "|/-\\"
QUICK_SERVE = (
    "OMS_SHIPMENT_STATUS_POLL_SECONDS=2 OMS_TRACKING_MIN_INTERVAL_SECONDS=1 "
    "OMS_TRACKING_MAX_INTERVAL_SECONDS=2 oms serve"
)


class DemoError(Exception):
    """A step of the demo failed; the message says what happened and what to do."""


@dataclass(frozen=True)
class DemoOptions:
    url: str = "http://127.0.0.1:8000"
    sandbox_url: str = "http://127.0.0.1:8100"
    username: str = "admin"
    password: str = ""
    orders: int = 3
    timeout: float = 120.0


@dataclass
class Row:
    """One demo order, as the table shows it."""

    omnitron_pk: int
    number: str
    tracking_number: str
    omnitron_status: str
    created_at: float
    order_id: int | None = None
    package_id: int | None = None
    package_number: str = ""
    package_status: str = ""
    shipment_tracking: str = ""
    report: str = ""
    next_check_at: datetime | None = None
    # Whether the row has reached what the demo is waiting for now (the progress line names the others).
    done: bool = False

    def reached(self, status: str) -> bool:
        if self.package_status not in PACKAGE_PROGRESS:
            return False
        return PACKAGE_PROGRESS.index(self.package_status) >= PACKAGE_PROGRESS.index(status)


COLUMNS = (
    ("Order", lambda row: row.number),
    ("Omnitron", lambda row: str(row.omnitron_pk)),
    ("Package", lambda row: row.package_number or "-"),
    ("Status", lambda row: row.package_status or "not in OMS yet"),
    ("Tracking number", lambda row: row.shipment_tracking or "-"),
    ("Report", lambda row: row.report or "-"),
    ("Omnitron status", lambda row: row.omnitron_status),
    ("Next check", lambda row: _next_check(row)),
)
# Columns of the progressive lines (no terminal): the countdown would make every poll a new line.
LINE_COLUMNS = COLUMNS[:-1]
FOLLOWED_PACKAGE_STATUSES = ("packed", "shipped", "attempted_delivery")


def _next_check(row: Row) -> str:
    """When OMS reads the shipment's order in Omnitron next (only while it follows it)."""
    if row.next_check_at is None or row.package_status not in FOLLOWED_PACKAGE_STATUSES:
        return "-"
    seconds = (row.next_check_at - datetime.now(UTC)).total_seconds()
    return "due" if seconds <= 0 else f"in {seconds:.0f} s"


def table_lines(rows: Iterable[Row]) -> list[str]:
    """The rows as an aligned text table, header first."""
    cells = [[name for name, _ in COLUMNS]] + [[value(row) for _, value in COLUMNS] for row in rows]
    widths = [max(len(line[index]) for line in cells) for index in range(len(COLUMNS))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in cells
    ]


class Screen:
    """What the demo prints. On a terminal the table stays at the bottom, redrawn in place (ANSI);
    otherwise each change of a row and, now and then, the progress are printed as new lines."""

    def __init__(self, write: Callable[[str], None], tty: bool) -> None:
        self._write = write
        self.tty = tty
        self._block: list[str] = []
        self._shown: dict[int, str] = {}
        self._last_progress = 0.0
        self._spin = 0

    def say(self, text: str = "") -> None:
        """A log line (above the table on a terminal)."""
        if self.tty and self._block:
            self._write(self._erase() + text + "\n" + "".join(line + "\n" for line in self._block))
        else:
            self._write(text + "\n")

    def update(self, rows: list[Row], progress: str, now: float, elapsed: float) -> None:
        """Show the rows' current state and what the demo is waiting for."""
        if self.tty:
            self._spin = (self._spin + 1) % len(SPINNER)
            self._draw(["", *table_lines(rows), "", f"{SPINNER[self._spin]} {progress}"])
            return
        for row in rows:
            line = "  ".join(f"{name.lower()} {value(row)}" for name, value in LINE_COLUMNS)
            if self._shown.get(row.omnitron_pk) != line:
                self._shown[row.omnitron_pk] = line
                self._last_progress = now
                self._write(f"  {elapsed:4.0f} s  {line}\n")
        if now - self._last_progress >= PROGRESS_EVERY_SECONDS:
            self._last_progress = now
            self._write(f"  ... {progress}\n")

    def settle(self, rows: list[Row]) -> None:
        """A wait is over: on a terminal, the table stays at the bottom without the progress line."""
        if self.tty:
            self._draw(["", *table_lines(rows), ""])

    def finish(self, rows: list[Row]) -> None:
        """Leave the table where it is (printing it whole when not on a terminal); lines follow it."""
        if self.tty:
            self.settle(rows)
            self._block = []
            return
        for line in ["", *table_lines(rows), ""]:
            self._write(line + "\n")

    def _draw(self, block: list[str]) -> None:
        """Replace the block on screen; lines are cut to the terminal's width so none wraps (a wrapped
        line would throw off the cursor movement of the next redraw)."""
        width = max(shutil.get_terminal_size().columns - 1, 20)
        block = [line[:width] for line in block]
        self._write(self._erase() + "".join(line + "\n" for line in block))
        self._block = block

    def _erase(self) -> str:
        if not self._block:
            return ""
        # Up to the first line of the block, then clear to the end of the screen.
        return f"\x1b[{len(self._block)}F\x1b[J"


def _error_text(response: httpx.Response) -> str:
    """OMS's error envelope (or the sandbox's DRF-style body) as one line."""
    try:
        data = response.json()
    except ValueError:
        text = " ".join(response.text.split())
        return text[:300] or "(empty body)"
    errors = data.get("error", data) if isinstance(data, dict) else data
    if isinstance(errors, dict):
        parts = []
        for key, value in errors.items():
            messages = value if isinstance(value, list) else [value]
            parts.append(f"{key}: {' '.join(str(message) for message in messages)}")
        return "; ".join(parts)
    return str(errors)[:300]


def _parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


@dataclass
class Demo:
    options: DemoOptions
    screen: Screen
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    rows: list[Row] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.url = self.options.url.rstrip("/")
        self.sandbox_url = self.options.sandbox_url.rstrip("/")
        self.oms = httpx.Client(base_url=self.url, timeout=REQUEST_TIMEOUT_SECONDS)
        self.sandbox = httpx.Client(base_url=self.sandbox_url, timeout=REQUEST_TIMEOUT_SECONDS)
        self.started = self.clock()
        self.deadline = self.started + self.options.timeout
        self._hinted = False

    def close(self) -> None:
        self.oms.close()
        self.sandbox.close()

    # HTTP

    def _call(
        self,
        client: httpx.Client,
        method: str,
        path: str,
        *,
        what: str,
        json: Any = None,
        params: dict[str, Any] | None = None,
        expect: tuple[int, ...] = (200,),
    ) -> Any:
        base = self.url if client is self.oms else self.sandbox_url
        where = f"{method} {base}{path}"
        try:
            response = client.request(method, path, json=json, params=params)
        except httpx.HTTPError as exc:
            service = "OMS" if client is self.oms else "the Omnitron sandbox"
            raise DemoError(
                f"{what}: {where} failed ({type(exc).__name__}: {exc}). Is {service} running? "
                "Start it with `oms serve` (which also starts the sandbox when OMNITRON_URL is unset), "
                "or pass --url / --sandbox-url."
            ) from exc
        if response.status_code not in expect:
            raise DemoError(f"{what}: {where} answered {response.status_code}: {_error_text(response)}")
        return response.json() if response.content else None

    def _api(self, method: str, path: str, *, what: str, **kwargs: Any) -> Any:
        return self._call(self.oms, method, f"{API}{path}", what=what, **kwargs)

    def _control(self, method: str, path: str, *, what: str, **kwargs: Any) -> Any:
        return self._call(self.sandbox, method, f"/_sandbox{path}", what=what, **kwargs)

    def _first(self, path: str, params: dict[str, Any], what: str) -> dict[str, Any] | None:
        results = self._api("GET", path, what=what, params=params)["results"]
        return results[0] if results else None

    # Steps

    def run(self) -> bool:
        """Drive the flow; True when every package reached delivered within the timeout."""
        say = self.screen.say
        say(f"OMS demo: {self.options.orders} marketplace order(s) from the sandbox through OMS to delivered")
        say(f"  OMS      {self.url}")
        say(f"  sandbox  {self.sandbox_url}")
        say()
        say("Logging in")
        self._login()
        self._control("GET", "/health/", what="Checking the Omnitron sandbox")
        say(f"  ok       logged in to OMS as {self.options.username}; the Omnitron sandbox answers")
        say()
        say("Setup (the seed's checklist, completed through the API where something is missing)")
        cargo_company = self._cargo_company_ensure()
        channel = self._channel_ensure()
        self._transitions_ensure()
        self._auto_run_ensure()
        self._condition_ensure(channel=channel, cargo_company=cargo_company)
        self._push_ensure()
        say()
        say(
            f"Creating {self.options.orders} order(s) in the sandbox (channel {DEMO_CHANNEL}, cargo company "
            f"{DEMO_CARGO_COMPANY}, {ITEMS_PER_ORDER} items each)"
        )
        self._orders_create()
        say()
        if not self._wait("the pushed orders to arrive in OMS", self._arrived, on_poll=self._push_fallback):
            return self._fail("arrive in OMS")
        say(
            "Packing each package: POST /packages/{id}/command/ "
            f'{{"slug": "{PACKAGING_SLUG}", "input_parameters": {{}}}}'
        )
        self._pack()
        if not self._wait("the preparing reports to reach Omnitron", self._reports_sent):
            return self._fail("have their report sent to Omnitron")
        for omnitron_status, package_status in STEPS:
            say(f"The marketplace moves the orders on: Omnitron status {omnitron_status} in the sandbox")
            for row in self.rows:
                self._control(
                    "POST",
                    f"/orders/{row.omnitron_pk}/status/",
                    what=f"Setting order {row.omnitron_pk} to {omnitron_status} in the sandbox",
                    json={"status": omnitron_status},
                )
                row.omnitron_status = omnitron_status
            if not self._wait(
                f"OMS to move the packages to {package_status}", lambda s=package_status: self._reached(s)
            ):
                return self._fail(f"reach {package_status}")
        self.screen.finish(self.rows)
        say(f"All {len(self.rows)} order(s) delivered in {self.clock() - self.started:.0f} s.")
        if not cancellation_show(self, channel=DEMO_CHANNEL, cargo_company=DEMO_CARGO_COMPANY):
            return False
        self._where_to_look()
        return True

    def _login(self) -> None:
        data = self._api(
            "POST",
            "/auth/login/",
            what=f"Logging in to OMS as {self.options.username}",
            json={"username": self.options.username, "password": self.options.password},
        )
        self.oms.headers["Authorization"] = f"Token {data['key']}"

    def _sandbox_record(self, kind: str, pk: int) -> dict[str, Any]:
        records = self._control("GET", f"/{kind}/", what=f"Reading the sandbox's {kind}")
        for record in records:
            if record.get("pk") == pk:
                return record
        raise DemoError(f"The sandbox at {self.sandbox_url} has no {kind[:-1].replace('_', ' ')} {pk}.")

    def _create_or_get(
        self, path: str, body: dict[str, Any], find: Callable[[], dict[str, Any] | None], what: str
    ) -> dict[str, Any]:
        """POST `body`; when it clashes with a row created meanwhile (sync, ingestion), that row."""
        try:
            return self._api("POST", path, what=what, json=body, expect=(201,))
        except DemoError:
            existing = find()
            if existing is None:
                raise
            return existing

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
        for source in PACKAGING_SOURCES:
            label = f"transition {PACKAGING_SLUG}: {source} -> packed"
            row = by_source.get(source)
            if row is None:
                body = {
                    "model": "package",
                    "command": PACKAGING_SLUG,
                    "slug": PACKAGING_SLUG,
                    "name": "Channel based complete packaging",
                    "source_state": source,
                    "destination_state": "packed",
                }
                created = self._create_or_get(
                    "/state-transitions/",
                    body,
                    lambda source=source: self._transitions_by_source().get(source),
                    f"Creating the {label}",
                )
                self.screen.say(f"  created  {label} (id {created['id']}): POST {API}/state-transitions/")
            elif row["command"] != PACKAGING_SLUG or row["destination_state"] != "packed":
                self._api(
                    "PATCH",
                    f"/state-transitions/{row['id']}/",
                    what=f"Correcting the {label}",
                    json={"command": PACKAGING_SLUG, "destination_state": "packed"},
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
            if _routes(condition, channel):
                self.screen.say(f"  ok       {label} (id {condition['id']})")
                return
        body = {
            "cargo_company": cargo_company["id"],
            "rules_configuration": {
                "rules": [
                    {
                        "klass": ChannelBasedOrdersCondition.path,
                        "params": {
                            "condition_type": channel["channel_type"],
                            "channels": [channel["id"]],
                            "conf": {"klass": OmnitronShipmentClient.path},
                        },
                    }
                ]
            },
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

    def _orders_create(self) -> None:
        for _ in range(self.options.orders):
            tracking_number = f"7330{secrets.randbelow(10**9):09d}"
            order = self._control(
                "POST",
                "/orders/",
                what="Creating an order in the sandbox",
                json={
                    "channel": DEMO_CHANNEL,
                    "cargo_company": DEMO_CARGO_COMPANY,
                    "tracking_number": tracking_number,
                    "item_count": ITEMS_PER_ORDER,
                },
                expect=(201,),
            )
            self.rows.append(
                Row(
                    omnitron_pk=order["pk"],
                    number=order["number"],
                    tracking_number=order.get("tracking_number") or tracking_number,
                    omnitron_status=order["status"],
                    created_at=self.clock(),
                )
            )
            self.screen.say(
                f"  created  Omnitron order {order['pk']} {order['number']}, tracking number "
                f"{order.get('tracking_number')}: POST /_sandbox/orders/"
            )

    def _pack(self) -> None:
        for row in self.rows:
            self._api(
                "POST",
                f"/packages/{row.package_id}/command/",
                what=f"Packing package {row.package_number} of order {row.number}",
                json={"slug": PACKAGING_SLUG, "input_parameters": {}},
                expect=(204,),
            )
            self.screen.say(f"  packed   {row.package_number} (order {row.number}): 204")

    # Waiting

    def _wait(self, what: str, done: Callable[[], bool], on_poll: Callable[[], None] | None = None) -> bool:
        """Poll until `done()`, showing the table and the progress; False at the deadline."""
        while True:
            finished = done()
            now = self.clock()
            waiting = [row.number for row in self.rows if not row.done]
            progress = f"waiting for {what}: {now - self.started:.0f} s of {self.options.timeout:.0f} s"
            if waiting and not finished:
                progress += f" (still {', '.join(waiting)})"
            self.screen.update(self.rows, progress, now, now - self.started)
            if finished:
                self.screen.settle(self.rows)
                return True
            if now >= self.deadline:
                self.screen.settle(self.rows)
                return False
            if on_poll is not None:
                on_poll()
            self._hint_if_too_slow()
            self.sleep(POLL_SECONDS)

    def _arrived(self) -> bool:
        for row in self.rows:
            if row.order_id is None:
                order = self._first("/orders/", {"omnitron_id": row.omnitron_pk}, f"Looking for {row.number}")
                if order is not None:
                    self._take_order(row, order)
            row.done = row.order_id is not None
        return all(row.order_id is not None for row in self.rows)

    def _take_order(self, row: Row, order: dict[str, Any]) -> None:
        row.order_id = order["id"]
        packages = order.get("packages") or []
        if not packages:
            raise DemoError(f"Order {row.number} arrived in OMS without a package: {order.get('warnings')}")
        row.package_id = packages[0]["id"]
        row.package_number = packages[0]["number"]
        row.package_status = packages[0]["status"]

    def _push_fallback(self) -> None:
        """An order the push has not brought in time is sent to OMS by pk (a lost webhook)."""
        for row in self.rows:
            if row.order_id is not None or self.clock() - row.created_at < PUSH_GRACE_SECONDS:
                continue
            order = self._api(
                "POST",
                "/omnitron/orders/",
                what=f"Sending order {row.omnitron_pk} to OMS by pk",
                json={"pk": row.omnitron_pk},
                expect=(200, 201),
            )
            self._take_order(row, order)
            self.screen.say(
                f"  note     the push did not bring {row.number} within {PUSH_GRACE_SECONDS:.0f} s: "
                f'sent it to OMS by pk (POST {API}/omnitron/orders/ {{"pk": {row.omnitron_pk}}})'
            )

    def _refresh(self) -> None:
        for row in self.rows:
            package = self._api("GET", f"/packages/{row.package_id}/", what=f"Reading {row.package_number}")
            row.package_status = package["status"]
            shipment = package.get("shipment") or {}
            row.shipment_tracking = shipment.get("tracking_number") or ""
            row.next_check_at = _parse_time(shipment.get("next_check_at"))
            reports = package.get("reports") or []
            row.report = reports[-1]["state"] if reports else ""

    def _reports_sent(self) -> bool:
        self._refresh()
        for row in self.rows:
            if row.report in FINAL_REPORT_STATES:
                raise DemoError(
                    f"The preparing report of {row.package_number} is '{row.report}': Omnitron refused it. "
                    f"See GET {self.url}{API}/packages/{row.package_id}/ (reports)."
                )
            row.done = row.report == "sent"
        return all(row.report == "sent" for row in self.rows)

    def _reached(self, status: str) -> bool:
        self._refresh()
        for row in self.rows:
            row.done = row.reached(status)
        return all(row.reached(status) for row in self.rows)

    def _hint_if_too_slow(self) -> None:
        """Say once when OMS will not look at a shipment again before the demo's deadline."""
        if self._hinted:
            return
        remaining = self.deadline - self.clock()
        now = datetime.now(UTC)
        late = [
            row
            for row in self.rows
            if row.next_check_at is not None and (row.next_check_at - now).total_seconds() > remaining
        ]
        if not late:
            return
        self._hinted = True
        seconds = max((row.next_check_at - now).total_seconds() for row in late if row.next_check_at)
        self.screen.say(
            f"  note     OMS will next look at {late[0].number}'s shipment in {seconds:.0f} s, after "
            "this demo's --timeout. Resolution runs every OMS_SHIPMENT_STATUS_POLL_SECONDS and checks "
            "a shipment at most every OMS_TRACKING_MIN_INTERVAL_SECONDS (60 and 300 by default). For a "
            f"quick demo, start OMS with `{QUICK_SERVE}`, or give the demo a longer --timeout."
        )

    def _fail(self, what: str) -> bool:
        self.screen.finish(self.rows)
        stuck = [row for row in self.rows if not row.done]
        names = ", ".join(f"{row.number} ({row.package_status or 'not in OMS'})" for row in stuck)
        self.screen.say(
            f"Timed out after {self.options.timeout:.0f} s: {len(stuck)} order(s) did not {what}: {names}."
        )
        self._where_to_look()
        return False

    def _where_to_look(self) -> None:
        say = self.screen.say
        say()
        say("Where to look:")
        say(f"  Dashboard  {self.url}/ops/")
        say(f"  Admin      {self.url}/admin/")
        say(f"  API docs   {self.url}/api/docs/")
        for row in self.rows:
            if row.package_id is not None:
                say(f"  {row.number:<9}  {self.url}{API}/packages/{row.package_id}/")


def _routes(condition: dict[str, Any], channel: dict[str, Any]) -> bool:
    """Whether a condition routes the channel's orders to OmnitronShipmentClient (as the server's
    `channel_condition_exists` decides it, from the API's representation)."""
    for rule in (condition.get("rules_configuration") or {}).get("rules", []):
        if rule.get("klass") != ChannelBasedOrdersCondition.path:
            continue
        params = rule.get("params") or {}
        if (params.get("conf") or {}).get("klass") != OmnitronShipmentClient.path:
            continue
        channels = params.get("channels") or []
        if channel["id"] in channels or (
            not channels and params.get("condition_type") == channel["channel_type"]
        ):
            return True
    return False


def demo_run(*, options: DemoOptions, write: Callable[[str], None], tty: bool) -> bool:
    """Run the demo; True when every order reached delivered. Raises `DemoError` when a step fails."""
    demo = Demo(options=options, screen=Screen(write, tty))
    try:
        return demo.run()
    finally:
        demo.close()
