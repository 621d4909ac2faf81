from celery import shared_task

from oms.channels.services import cargo_companies_sync, channels_sync
from oms.omnitron.client import omnitron_client_get
from oms.omnitron.errors import OmnitronError


@shared_task(name="oms.channels.tasks.sync_channels_and_cargo_companies")
def sync_channels_and_cargo_companies() -> str:
    """Bring channels and cargo companies over from Omnitron (creates and updates, never deletes)."""
    try:
        client = omnitron_client_get()
    except OmnitronError as exc:
        return f"skipped: {exc}"
    try:
        channels = channels_sync(client=client)
        cargo = cargo_companies_sync(client=client)
    except OmnitronError as exc:
        return f"failed: {exc}"
    finally:
        client.close()
    return f"channels: {channels.summary()}; cargo companies: {cargo.summary()}"
