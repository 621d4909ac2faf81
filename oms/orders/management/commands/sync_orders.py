from datetime import UTC, datetime, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from oms.omnitron.client import omnitron_client_get
from oms.omnitron.errors import OmnitronError
from oms.orders.reconciliation import ReconcileResult, orders_pull


def _parse_since(value: str) -> datetime:
    """An ISO date or datetime, or a relative '2h' / '3d'."""
    value = value.strip()
    units = {"m": "minutes", "h": "hours", "d": "days"}
    if value[-1:] in units and value[:-1].isdigit():
        return timezone.now() - timedelta(**{units[value[-1]]: int(value[:-1])})
    parsed = parse_datetime(value)
    if parsed is None:
        day = parse_date(value)
        if day is not None:
            parsed = datetime(day.year, day.month, day.day)
    if parsed is None:
        raise CommandError(f"--since {value!r}: use an ISO date/datetime (2026-11-20T09:00:00Z) or 6h, 2d.")
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, UTC)


class Command(BaseCommand):
    help = "Backfill: ingest every approved Omnitron order modified since a time that OMS lacks."

    def add_arguments(self, parser):
        parser.add_argument("--since", required=True, help="ISO date/datetime, or relative: 6h, 2d")

    def handle(self, *args, since: str, **options):
        start = _parse_since(since)
        now = timezone.now()
        try:
            client = omnitron_client_get()
        except OmnitronError as exc:
            raise CommandError(str(exc)) from exc

        def progress(result: ReconcileResult) -> None:
            self.stdout.write(
                f"  … {result.seen} seen, {len(result.ingested)} ingested, {len(result.failed)} failed"
            )

        try:
            result = orders_pull(
                client=client,
                since=start,
                until=now,
                client_factory=omnitron_client_get,
                now=now,
                progress=progress,
            )
        finally:
            client.close()
        for pk, reason in result.failed.items():
            self.stderr.write(f"order {pk}: {reason}")
        self.stdout.write(result.summary())
        if result.error or result.failed:
            raise CommandError("Some orders were not ingested; run the command again later.")
