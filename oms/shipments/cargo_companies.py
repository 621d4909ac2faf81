"""Keeping OMS cargo companies in step with Omnitron: create and update, never delete."""

from celery import shared_task

from oms.channels.services import SyncResult, rows_sync
from oms.omnitron.client import omnitron_client_get
from oms.omnitron.errors import OmnitronError
from oms.omnitron.ports import OmnitronPort
from oms.shipments.listeners import cargo_company_saved_notify
from oms.shipments.models import CargoCompany


def cargo_companies_sync(*, client: OmnitronPort) -> SyncResult:
    """Create OMS cargo companies Omnitron has and OMS lacks; update changed ones; tell the
    listeners about each (orders links the orders that arrived before their cargo company)."""
    result = rows_sync(
        CargoCompany,
        client.cargo_companies_list(),
        lambda r: {"name": r.name, "erp_code": r.erp_code, "shipping_company": r.shipping_company},
    )
    for company in CargoCompany.objects.filter(omnitron_id__isnull=False).only("pk", "omnitron_id"):
        cargo_company_saved_notify(cargo_company=company)
    return result


@shared_task(name="oms.shipments.cargo_companies.sync_cargo_companies")
def sync_cargo_companies() -> str:
    """Bring cargo companies over from Omnitron (creates and updates, never deletes)."""
    try:
        client = omnitron_client_get()
    except OmnitronError as exc:
        return f"skipped: {exc}"
    try:
        cargo = cargo_companies_sync(client=client)
    except OmnitronError as exc:
        return f"failed: {exc}"
    finally:
        client.close()
    return f"cargo companies: {cargo.summary()}"
