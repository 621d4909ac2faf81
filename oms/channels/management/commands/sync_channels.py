from oms.channels.management.commands._sync import SyncCommand
from oms.channels.services import channels_sync


class Command(SyncCommand):
    help = "Create and update OMS channels from Omnitron's channels (never deletes)."
    label = "Channels"
    sync = channels_sync
