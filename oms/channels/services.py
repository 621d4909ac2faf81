"""Keeping OMS channels and cargo companies in step with Omnitron: create and update, never delete."""

from dataclasses import dataclass, field

from django.db import transaction

from oms.channels.models import Channel
from oms.omnitron.ports import OmnitronPort
from oms.shipments.models import CargoCompany


@dataclass
class SyncResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0

    def summary(self) -> str:
        return f"{len(self.created)} created, {len(self.updated)} updated, {self.unchanged} unchanged"


def _sync(model, records, fields_of) -> SyncResult:
    result = SyncResult()
    records = list(records)
    with transaction.atomic():
        existing = {
            row.omnitron_id: row for row in model.objects.filter(omnitron_id__in=[r.pk for r in records])
        }
        for record in records:
            wanted = fields_of(record)
            row = existing.get(record.pk)
            if row is None:
                model.objects.create(omnitron_id=record.pk, **wanted)
                result.created.append(f"{record.pk} {wanted['name']}")
                continue
            changed = [name for name, value in wanted.items() if getattr(row, name) != value]
            if changed:
                for name in changed:
                    setattr(row, name, wanted[name])
                row.save(update_fields=[*changed, "modified_at"])
                result.updated.append(f"{record.pk} {wanted['name']} ({', '.join(changed)})")
            else:
                result.unchanged += 1
    return result


def channels_sync(*, client: OmnitronPort) -> SyncResult:
    """Create OMS channels Omnitron has and OMS lacks; update changed names, types and activity."""
    return _sync(
        Channel,
        client.channels_list(),
        lambda r: {"name": r.name, "channel_type": r.channel_type, "is_active": r.is_active},
    )


def cargo_companies_sync(*, client: OmnitronPort) -> SyncResult:
    """Create OMS cargo companies Omnitron has and OMS lacks; update changed ones; link orders."""
    result = _sync(
        CargoCompany,
        client.cargo_companies_list(),
        lambda r: {"name": r.name, "erp_code": r.erp_code, "shipping_company": r.shipping_company},
    )
    for company in CargoCompany.objects.filter(omnitron_id__isnull=False).only("pk", "omnitron_id"):
        cargo_company_orders_link(cargo_company=company)
    return result


def cargo_company_orders_link(*, cargo_company: CargoCompany) -> int:
    """Link orders that arrived before OMS knew their cargo company. Returns how many."""
    from oms.orders.models import Order

    if cargo_company.omnitron_id is None:
        return 0
    return Order.objects.filter(
        cargo_company__isnull=True, omnitron_cargo_company_id=cargo_company.omnitron_id
    ).update(cargo_company_id=cargo_company.pk)
