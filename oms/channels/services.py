"""Keeping OMS channels in step with Omnitron: create and update, never delete.

`rows_sync` is the shared way of doing it; shipments uses it for cargo companies.
"""

from dataclasses import dataclass, field

from django.db import transaction

from oms.channels.models import Channel
from oms.omnitron.ports import OmnitronPort


@dataclass
class SyncResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0

    def summary(self) -> str:
        return f"{len(self.created)} created, {len(self.updated)} updated, {self.unchanged} unchanged"


def rows_sync(model, records, fields_of) -> SyncResult:
    """Create the rows Omnitron has and OMS lacks (by `omnitron_id`); update the changed fields."""
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
    return rows_sync(
        Channel,
        client.channels_list(),
        lambda r: {"name": r.name, "channel_type": r.channel_type, "is_active": r.is_active},
    )
