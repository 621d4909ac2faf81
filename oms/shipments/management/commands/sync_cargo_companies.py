from oms.channels.management.commands._sync import SyncCommand
from oms.shipments.cargo_companies import cargo_companies_sync


class Command(SyncCommand):
    help = "Create and update OMS cargo companies from Omnitron's (never deletes)."
    label = "Cargo companies"
    sync = cargo_companies_sync
