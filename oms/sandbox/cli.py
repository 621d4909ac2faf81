"""Run the sandbox as a process: `oms sandbox` (Django management command) or `python -m oms.sandbox`."""

import argparse
import os
import signal
import sys
from collections.abc import Sequence
from io import TextIOBase
from typing import TextIO

from oms.sandbox.server import SandboxServer
from oms.sandbox.store import FIRST_ITEM_PK, FIRST_ORDER_PK

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8100
DEFAULT_USERNAME = "omnitron"
DEFAULT_PASSWORD = "omnitron-sandbox"


def default_username() -> str:
    """The sandbox user: OMNITRON_SANDBOX_USERNAME, else "omnitron"."""
    return os.environ.get("OMNITRON_SANDBOX_USERNAME") or DEFAULT_USERNAME


def default_password() -> str:
    """The sandbox password: OMNITRON_SANDBOX_PASSWORD, else "omnitron-sandbox"."""
    return os.environ.get("OMNITRON_SANDBOX_PASSWORD") or DEFAULT_PASSWORD


def default_push_token() -> str:
    """The OMS API token sent with pushes: OMNITRON_SANDBOX_PUSH_TOKEN, else none."""
    return os.environ.get("OMNITRON_SANDBOX_PUSH_TOKEN") or ""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The command-line options shared by `oms sandbox` and `python -m oms.sandbox`."""
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"address to listen on (default {DEFAULT_HOST})")
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"port to listen on, 0 = any free one (default {DEFAULT_PORT})",
    )
    parser.add_argument(
        "--username", default=None, help="Omnitron user (default $OMNITRON_SANDBOX_USERNAME or omnitron)"
    )
    parser.add_argument(
        "--password",
        default=None,
        help="its password (default $OMNITRON_SANDBOX_PASSWORD or omnitron-sandbox; prefer the variable)",
    )
    parser.add_argument("--push-url", default=None, help="push every new order to this OMS ingestion URL")
    parser.add_argument(
        "--push-token",
        default=None,
        help="OMS API token sent with pushes (default $OMNITRON_SANDBOX_PUSH_TOKEN; prefer the variable: "
        "a command line is visible to every user of the machine)",
    )
    parser.add_argument(
        "--first-order-pk",
        type=int,
        default=FIRST_ORDER_PK,
        help=f"pk of the first order created (default {FIRST_ORDER_PK}; `oms serve` starts past OMS's)",
    )
    parser.add_argument(
        "--first-item-pk", type=int, default=FIRST_ITEM_PK, help=f"the first item's pk ({FIRST_ITEM_PK})"
    )


def run(
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    username: str | None = None,
    password: str | None = None,
    push_url: str | None = None,
    push_token: str | None = None,
    first_order_pk: int = FIRST_ORDER_PK,
    first_item_pk: int = FIRST_ITEM_PK,
    out: TextIO | TextIOBase = sys.stdout,
) -> None:
    """Serve the sandbox until SIGTERM or SIGINT, printing its URL once it listens.

    A credential left as None (or empty) comes from the environment: OMNITRON_SANDBOX_USERNAME,
    OMNITRON_SANDBOX_PASSWORD and OMNITRON_SANDBOX_PUSH_TOKEN.
    """
    server = SandboxServer(
        host=host,
        port=port,
        username=username or default_username(),
        password=password or default_password(),
        push_url=push_url,
        push_token=push_token or default_push_token(),
    )
    server.store.numbering_start(order_pk=first_order_pk, item_pk=first_item_pk)
    server.start()

    def stop(signum: int, frame: object) -> None:
        server.stop()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        out.write(f"Omnitron sandbox listening on {server.url} (user {server.username})\n")
        if push_url:
            out.write(f"Pushing new orders to {push_url}\n")
        out.flush()
        server.serve_forever()
    finally:
        server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    out.write("Omnitron sandbox stopped\n")
    out.flush()


def main(argv: Sequence[str] | None = None) -> None:
    """`python -m oms.sandbox [--host H] [--port P] ...`."""
    parser = argparse.ArgumentParser(prog="python -m oms.sandbox", description="Run the Omnitron sandbox.")
    add_arguments(parser)
    options = parser.parse_args(argv)
    run(
        host=options.host,
        port=options.port,
        username=options.username,
        password=options.password,
        push_url=options.push_url,
        push_token=options.push_token,
        first_order_pk=options.first_order_pk,
        first_item_pk=options.first_item_pk,
    )
