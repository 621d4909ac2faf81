"""The demo's flow: create orders in the sandbox, pack them in OMS, move them on, wait for OMS."""

import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

from oms.core.statuses import OrderStatus, PackageStatus, status_name
from oms.operations.demo.cancellation import cancellation_show
from oms.operations.demo.screen import Row
from oms.operations.demo.setup_steps import DEMO_CARGO_COMPANY, DEMO_CHANNEL, DemoSetup
from oms.operations.demo.transport import API, DemoError
from oms.operations.marketplace import PACKAGING_SLUG

ITEMS_PER_ORDER = 2
# Omnitron order status set in the sandbox -> the package status OMS must reach.
STEPS = tuple(
    (str(omnitron_status.value), status_name(PackageStatus, package_status))
    for omnitron_status, package_status in (
        (OrderStatus.SHIPPED, PackageStatus.SHIPPED),
        (OrderStatus.ATTEMPTED_DELIVERY, PackageStatus.ATTEMPTED_DELIVERY),
        (OrderStatus.DELIVERED, PackageStatus.DELIVERED),
    )
)
FINAL_REPORT_STATES = ("rejected", "given_up")
# How long an order may take to arrive by push before the demo sends it to OMS by pk itself.
PUSH_GRACE_SECONDS = 20.0
POLL_SECONDS = 0.5
QUICK_SERVE = (
    "OMS_SHIPMENT_STATUS_POLL_SECONDS=2 OMS_TRACKING_MIN_INTERVAL_SECONDS=1 "
    "OMS_TRACKING_MAX_INTERVAL_SECONDS=2 oms serve"
)


def _parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


class Demo(DemoSetup):
    """Drives the marketplace flow end to end, over HTTP."""

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
                f"OMS to move the packages to {package_status}", partial(self._reached, package_status)
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
                say(f"  {row.number:<9}  {self.url}/ops/packages/{row.package_id}/")
