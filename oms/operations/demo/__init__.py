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
   resolution to move the packages to shipped, attempted_delivery and delivered;
5. cancels one more order in the sandbox before it is packed, sends its cancellation plan to OMS,
   and shows the package cancelled and packing refused (`oms.operations.demo.cancellation`).

A table of the orders is shown throughout: redrawn in place on a terminal, as progressive lines
otherwise.
"""

from collections.abc import Callable

from oms.operations.demo.flow import Demo
from oms.operations.demo.screen import Screen
from oms.operations.demo.transport import DemoError, DemoOptions

__all__ = ["DemoError", "DemoOptions", "demo_run"]


def demo_run(*, options: DemoOptions, write: Callable[[str], None], tty: bool) -> bool:
    """Run the demo; True when every order reached delivered. Raises `DemoError` when a step fails."""
    demo = Demo(options=options, screen=Screen(write, tty))
    try:
        return demo.run()
    finally:
        demo.close()
