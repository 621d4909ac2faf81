from django.core.management.base import BaseCommand
from django.utils import timezone

from oms.omnitron.client import omnitron_client_get
from oms.shipments.resolution import shipments_resolve


class Command(BaseCommand):
    help = (
        "Run one shipment status resolution cycle now over every followed shipment, whatever its "
        "schedule (--due: only those due), and print what changed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--due", action="store_true", help="Only shipments whose check is due.")

    def handle(self, *args, due: bool, **options):
        result = shipments_resolve(client_factory=omnitron_client_get, now_fn=timezone.now, due_only=due)
        if result.skipped:
            self.stdout.write(f"Nothing done: {result.skipped}")
            return
        for line in result.applied:
            self.stdout.write(line)
        for line in result.tracking_changes:
            self.stdout.write(f"tracking number changed: {line}")
        for line in result.errors:
            self.stderr.write(line)
        summary = result.summary()
        self.stdout.write(
            f"Checked {summary['checked']} shipments: {summary['applied']} moved, "
            f"{summary['backward']} backward and {summary['unknown']} unknown Omnitron statuses ignored, "
            f"{summary['missing']} orders missing in Omnitron, {summary['tracking_changes']} tracking "
            f"number changes, {summary['stale']} marked stale, {summary['failed_batches']} failed batches."
        )
