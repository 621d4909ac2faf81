import textwrap

from django.core.management.base import BaseCommand, CommandError, CommandParser

from oms.configuration.keys import AUTO_RUN_SHIP_THE_PACKAGE_COMMAND
from oms.operations.marketplace import PACKAGING_SLUG
from oms.operations.setup_check import FIX_SEPARATOR, CheckItem, setup_check

LABEL_WIDTH = 9
WRAP_WIDTH = 110


class Command(BaseCommand):
    help = (
        "Check the marketplace flow's setup checklist (channels, cargo companies, conditions, the "
        f"three {PACKAGING_SLUG} transitions, {AUTO_RUN_SHIP_THE_PACKAGE_COMMAND}) and the "
        "Omnitron connection. Prints what is missing and how to fix it; exits 1 when anything is missing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-omnitron", action="store_true", help="Skip the Omnitron connection check.")

    def handle(self, *args, no_omnitron: bool, **options) -> None:
        report = setup_check(check_omnitron=not no_omnitron)
        for item in report.items:
            self.stdout.write(self._format(item))
        missing = len(report.missing)
        total = len(report.items)
        self.stdout.write("")
        if not missing:
            self.stdout.write(self.style.SUCCESS(f"All {total} checks OK: the marketplace flow is set up."))
            return
        self.stdout.write(f"{total - missing} of {total} checks OK, {missing} MISSING.")
        raise CommandError(
            f"{missing} of {total} setup checks are missing: apply the fixes shown above, then run "
            "`oms check_setup` again."
        )

    def _format(self, item: CheckItem) -> str:
        label = "OK" if item.ok else "MISSING"
        styled = self.style.SUCCESS(label) if item.ok else self.style.ERROR(label)
        indent = " " * LABEL_WIDTH
        lines = [styled + " " * (LABEL_WIDTH - len(label)) + item.title]
        lines.extend(_wrapped(item.detail, indent))
        # Each alternative of a fix on one line, never wrapped: it must stay copyable.
        for index, alternative in enumerate(item.fix.split(FIX_SEPARATOR) if item.fix else []):
            lines.append(f"{indent}{'fix:' if index == 0 else ' or:'} {alternative.strip()}")
        return "\n".join(lines)


def _wrapped(text: str, indent: str) -> list[str]:
    return textwrap.wrap(
        text,
        width=WRAP_WIDTH,
        initial_indent=indent,
        subsequent_indent=indent + "  ",
        break_long_words=False,
        break_on_hyphens=False,
    )
