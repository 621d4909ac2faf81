"""`oms sandbox`: run the Omnitron sandbox (a stand-in Omnitron over HTTP) until SIGTERM/SIGINT."""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from oms.sandbox.cli import add_arguments, run


class Command(BaseCommand):
    help = "Run the Omnitron sandbox: the Omnitron endpoints OMS uses, plus /_sandbox/ control endpoints."
    # The sandbox needs no database: skip checks so that it starts fast.
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: ArgumentParser) -> None:
        add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        run(
            host=options["host"],
            port=options["port"],
            username=options["username"],
            password=options["password"],
            push_url=options["push_url"],
            push_token=options["push_token"],
            first_order_pk=options["first_order_pk"],
            first_item_pk=options["first_item_pk"],
            out=self.stdout,
        )
