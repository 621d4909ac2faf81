"""The demo's cancellation: the marketplace cancels an order before it is packed, Omnitron sends
its cancellation plan, OMS cancels the package and refuses to pack it. HTTP only, like the demo."""

from typing import TYPE_CHECKING, Any

from oms.operations.demo.transport import API
from oms.operations.marketplace import PACKAGING_SLUG

if TYPE_CHECKING:
    from oms.operations.demo.flow import Demo

PACKING = {"slug": PACKAGING_SLUG, "input_parameters": {}}


def cancellation_show(demo: "Demo", *, channel: int, cargo_company: int) -> bool:
    """Run the demo's cancellation; True when OMS cancelled the package and refused to pack it."""
    say = demo.screen.say
    say()
    say("A cancellation: the marketplace cancels an order before the warehouse packs it")
    order = demo._control(
        "POST",
        "/orders/",
        what="Creating the order to cancel in the sandbox",
        json={"channel": channel, "cargo_company": cargo_company, "item_count": 2},
        expect=(201,),
    )
    say(f"  created  Omnitron order {order['pk']} {order['number']}: POST /_sandbox/orders/")
    found: dict[str, Any] = {}

    def arrived() -> bool:
        package = demo._first("/packages/", {"order_omnitron_id": order["pk"]}, "Looking for its package")
        if package is None and not found.get("sent"):
            found["sent"] = True  # the push may be off: send it by pk, as a lost webhook would be
            demo._api(
                "POST",
                "/omnitron/orders/",
                what="Sending it by pk",
                json={"pk": order["pk"]},
                expect=(200, 201),
            )
        found["package"] = package
        return package is not None

    if not demo._wait(f"order {order['number']} to arrive in OMS", arrived):
        return demo._fail("arrive in OMS")
    package = found["package"]
    answer = demo._control(
        "POST",
        f"/orders/{order['pk']}/cancel/",
        what=f"Cancelling order {order['pk']} in the sandbox",
        json={"reason": "the customer cancelled"},
    )
    say(
        f"  cancel   POST /_sandbox/orders/{order['pk']}/cancel/: items 100 in Omnitron; its cancellation "
        f"plan {answer['plan']['id']} goes to POST {API}/cancellation_plan/"
    )
    if not answer.get("plan_sent"):
        demo._api(
            "POST", "/cancellation_plan/", what="Sending the plan", json=answer["plan"], expect=(200, 201)
        )

    def cancelled() -> bool:
        shown = demo._api("GET", f"/packages/{package['id']}/", what=f"Reading {package['number']}")
        return shown["status"] == "cancelled"

    if not demo._wait(f"OMS to cancel {package['number']}", cancelled):
        return demo._fail("be cancelled")
    say(f"  done     {package['number']} is cancelled (950) with its items; nothing reported to Omnitron")
    response = demo.oms.post(f"{API}/packages/{package['id']}/command/", json=PACKING)
    if response.status_code != 400:
        say(f"  FAILED   packing the cancelled package answered {response.status_code}, not 400")
        return False
    say(f"  refused  packing it: 400 ({response.json()['error']['slug'][0][:100]}...)")
    return True
