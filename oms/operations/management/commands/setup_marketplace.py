from django.core.management.base import BaseCommand, CommandError

from oms.configuration.keys import AUTO_RUN_SHIP_THE_PACKAGE_COMMAND
from oms.core.errors import DomainError
from oms.operations.marketplace import marketplace_setup


class Command(BaseCommand):
    help = (
        "Define the marketplace flow's state transitions and set "
        f"{AUTO_RUN_SHIP_THE_PACKAGE_COMMAND} "
        "(idempotent). With --channel and --cargo-company, also route that channel's orders of that "
        "cargo company to OmnitronShipmentClient."
    )

    def add_arguments(self, parser):
        parser.add_argument("--channel", type=int, help="OMS channel id")
        parser.add_argument("--cargo-company", type=int, help="OMS cargo company id")
        parser.add_argument(
            "--no-auto-run",
            action="store_true",
            help=f"Set {AUTO_RUN_SHIP_THE_PACKAGE_COMMAND} to false instead of true.",
        )

    def handle(self, *args, channel, cargo_company, no_auto_run, **options):
        try:
            result = marketplace_setup(
                channel_id=channel, cargo_company_id=cargo_company, auto_run=not no_auto_run
            )
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        for line in result.done:
            self.stdout.write(f"set up: {line}")
        for line in result.already:
            self.stdout.write(f"already in place: {line}")
