from django.core.management.base import BaseCommand, CommandError

from oms.channels.services import cargo_companies_sync
from oms.omnitron.client import omnitron_client_get
from oms.omnitron.errors import OmnitronError


class Command(BaseCommand):
    help = "Create and update OMS cargo companies from Omnitron's (never deletes)."

    def handle(self, *args, **options):
        try:
            client = omnitron_client_get()
            try:
                result = cargo_companies_sync(client=client)
            finally:
                client.close()
        except OmnitronError as exc:
            raise CommandError(str(exc)) from exc
        for line in result.created:
            self.stdout.write(f"created {line}")
        for line in result.updated:
            self.stdout.write(f"updated {line}")
        self.stdout.write(f"Cargo companies: {result.summary()}")
