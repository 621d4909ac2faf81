from collections.abc import Callable

from django.core.management.base import BaseCommand, CommandError

from oms.channels.services import SyncResult
from oms.omnitron.client import omnitron_client_get
from oms.omnitron.errors import OmnitronError


class SyncCommand(BaseCommand):
    """Run one sync service against the configured Omnitron and print what it did."""

    label: str
    sync: Callable[..., SyncResult]

    def handle(self, *args, **options):
        try:
            with omnitron_client_get() as client:
                result = type(self).sync(client=client)
        except OmnitronError as exc:
            raise CommandError(str(exc)) from exc
        for line in result.created:
            self.stdout.write(f"created {line}")
        for line in result.updated:
            self.stdout.write(f"updated {line}")
        self.stdout.write(f"{self.label}: {result.summary()}")
