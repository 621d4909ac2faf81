from celery import shared_task

from oms.channels.services import channels_sync
from oms.omnitron.client import omnitron_client_get
from oms.omnitron.errors import OmnitronError


@shared_task(name="oms.channels.tasks.sync_channels")
def sync_channels() -> str:
    """Bring channels over from Omnitron (creates and updates, never deletes)."""
    try:
        client = omnitron_client_get()
    except OmnitronError as exc:
        return f"skipped: {exc}"
    try:
        channels = channels_sync(client=client)
    except OmnitronError as exc:
        return f"failed: {exc}"
    finally:
        client.close()
    return f"channels: {channels.summary()}"
