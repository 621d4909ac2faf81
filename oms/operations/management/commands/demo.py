from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from oms.operations.demo import DemoError, DemoOptions, demo_run
from oms.operations.local import ADMIN_PASSWORD_FILE, ADMIN_USERNAME
from oms.operations.local_env import DEFAULT_OMS_URL, DEFAULT_SANDBOX_URL, local_mode_read


class Command(BaseCommand):
    help = (
        "Drive the whole marketplace flow against a running `oms serve`, over its API and the Omnitron "
        "sandbox's control endpoints (no database access): complete the setup, create orders in the "
        "sandbox, watch them arrive by push, pack them, and follow them to delivered. Exits 1 when an "
        "order does not reach delivered within --timeout."
    )
    requires_system_checks: list[str] = []  # an HTTP client: nothing of this installation is used

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--url", help=f"OMS (default: the URL `oms serve` recorded, else {DEFAULT_OMS_URL})"
        )
        parser.add_argument(
            "--sandbox-url",
            help="the Omnitron sandbox OMS talks to (default: the one `oms serve` started, else "
            f"{DEFAULT_SANDBOX_URL})",
        )
        parser.add_argument(
            "--username", default=ADMIN_USERNAME, help=f"a staff user of OMS ({ADMIN_USERNAME})"
        )
        password = parser.add_mutually_exclusive_group()
        password.add_argument("--password", help="its password (default: read from --password-file)")
        password.add_argument(
            "--password-file",
            type=Path,
            help=f"a file holding the password (default: $OMS_DATA_DIR/{ADMIN_PASSWORD_FILE}, "
            "which `oms serve` writes for the local admin)",
        )
        parser.add_argument("--orders", type=int, default=3, help="how many orders (3)")
        parser.add_argument(
            "--timeout", type=float, default=120, help="seconds for every order to reach delivered (120)"
        )

    def handle(self, *args, **options) -> None:
        if options["orders"] < 1:
            raise CommandError("--orders must be at least 1.")
        if options["timeout"] <= 0:
            raise CommandError("--timeout must be a positive number of seconds.")
        recorded = local_mode_read(Path(settings.DATA_DIR))
        demo_options = DemoOptions(
            url=options["url"] or (recorded and recorded.oms_url) or DEFAULT_OMS_URL,
            sandbox_url=options["sandbox_url"] or (recorded and recorded.omnitron_url) or DEFAULT_SANDBOX_URL,
            username=options["username"],
            password=self._password(options),
            orders=options["orders"],
            timeout=options["timeout"],
        )

        def write(text: str) -> None:
            self.stdout.write(text, ending="")
            self.stdout.flush()

        try:
            delivered = demo_run(options=demo_options, write=write, tty=self.stdout.isatty())
        except DemoError as exc:
            raise CommandError(str(exc)) from exc
        if not delivered:
            raise CommandError(
                f"Not every order reached delivered within {demo_options.timeout:.0f} s (see above)."
            )

    def _password(self, options: dict) -> str:
        if options["password"]:
            return options["password"]
        path: Path = options["password_file"] or Path(settings.DATA_DIR) / ADMIN_PASSWORD_FILE
        try:
            password = path.read_text().strip()
        except OSError as exc:
            raise CommandError(
                f"Cannot read the password from {path} ({exc.strerror}). Pass --password, or "
                "--password-file with the file `oms serve` wrote (admin-password.txt in its OMS_DATA_DIR)."
            ) from exc
        if not password:
            raise CommandError(f"{path} is empty. Pass --password or another --password-file.")
        return password
