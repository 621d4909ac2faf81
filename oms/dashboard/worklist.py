"""The packing work list: what is left to pack, found by scanning, packed and labelled in bulk."""

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django import forms
from django.db.models import Prefetch, QuerySet

from oms.channels.models import Channel
from oms.core.statuses import PackageStatus
from oms.packages.bulk import BULK_COMMAND_LIMIT, package_bulk_command_run
from oms.packages.filters import package_search_q
from oms.packages.models import Package, PackageItem
from oms.shipments.models import CargoCompany
from oms.transitions.models import CommandSource

PACKAGING = "CHANNEL_BASED_COMPLETE_PACKAGING"
TO_PACK = (PackageStatus.WAITING, PackageStatus.PREPARING, PackageStatus.READY_TO_PACK)
ROWS_SHOWN = 200
STAGES = {
    "to_pack": ("To pack (waiting, preparing, ready to pack)", TO_PACK),
    "packed": ("Packed, not shipped", (PackageStatus.PACKED,)),
}


class WorklistFilterForm(forms.Form):
    stage = forms.ChoiceField(
        choices=[(key, label) for key, (label, _) in STAGES.items()], required=False, label="Show"
    )
    channel = forms.ModelChoiceField(
        queryset=Channel.objects.order_by("name"), required=False, empty_label="All channels"
    )
    cargo_company = forms.ModelChoiceField(
        queryset=CargoCompany.objects.order_by("name"), required=False, empty_label="All cargo companies"
    )
    scan = forms.CharField(required=False, max_length=256, strip=True, label="Scan or type")
    mode = forms.ChoiceField(
        choices=[("open", "open the package"), ("select", "add to the selection")], required=False
    )

    def values(self) -> dict:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return {
            "stage": data.get("stage") or "to_pack",
            "channel": data.get("channel"),
            "cargo_company": data.get("cargo_company"),
            "scan": data.get("scan") or "",
            "mode": data.get("mode") or "open",
        }


@dataclass(frozen=True)
class WorklistRow:
    package: Package
    age: timedelta
    barcodes: tuple[str, ...]
    tracking_number: str

    @property
    def packed(self) -> bool:
        return self.package.status == PackageStatus.PACKED

    @property
    def scan_keys(self) -> str:
        """What a scan of this package may read: order number, tracking number, item barcodes, SKUs."""
        skus = [item.order_item.sku for item in self.package.items.all()]
        order = self.package.order
        keys = [order.number, order.tracking_number, self.tracking_number, *self.barcodes, *skus]
        return json.dumps(sorted({key for key in keys if key}))


@dataclass
class Worklist:
    rows: list[WorklistRow] = field(default_factory=list)
    count: int = 0


def _packages() -> QuerySet[Package]:
    return Package.objects.select_related(
        "order__channel", "order__cargo_company", "shipment"
    ).prefetch_related(
        Prefetch("items", queryset=PackageItem.objects.select_related("order_item").order_by("id"))
    )


def worklist_get(
    *, stage: str, channel: Channel | None, cargo_company: CargoCompany | None, scan: str, now: datetime
) -> Worklist:
    """Packages of a stage (or, when something was scanned, every package it matches), oldest first."""
    packages = _packages()
    if scan:
        packages = packages.filter(package_search_q(scan))
    else:
        packages = packages.filter(status__in=STAGES.get(stage, STAGES["to_pack"])[1])
    if channel is not None:
        packages = packages.filter(order__channel=channel)
    if cargo_company is not None:
        packages = packages.filter(order__cargo_company=cargo_company)
    packages = packages.order_by("created_at", "id")
    rows = [
        WorklistRow(
            package=package,
            age=now - package.created_at,
            barcodes=tuple(item.order_item.barcode for item in package.items.all()),
            tracking_number=getattr(getattr(package, "shipment", None), "tracking_number", "")
            or package.order.tracking_number,
        )
        for package in packages[:ROWS_SHOWN]
    ]
    count = len(rows) if len(rows) < ROWS_SHOWN else packages.count()
    return Worklist(rows=rows, count=count)


def worklist_scan_single(*, scan: str) -> int | None:
    """The id of the one package a scan matches, or None when it matches none or several."""
    found = list(Package.objects.filter(package_search_q(scan)).values_list("pk", flat=True)[:2])
    return found[0] if len(found) == 1 else None


@dataclass(frozen=True)
class PackResult:
    package_id: int
    number: str
    done: bool
    message: str


def worklist_pack(*, package_ids: Sequence[int], actor, now: datetime) -> list[PackResult]:
    """Pack each package with the bulk command engine, as the ops page; one result each."""
    outcomes = package_bulk_command_run(
        package_ids=list(package_ids)[:BULK_COMMAND_LIMIT],
        slug=PACKAGING,
        input_parameters={},
        actor=actor,
        source=CommandSource.OPS,
        now=now,
    )
    numbers = dict(Package.objects.filter(pk__in=package_ids).values_list("pk", "number"))
    return [
        PackResult(
            package_id=outcome.package_id,
            number=numbers.get(outcome.package_id, f"#{outcome.package_id}"),
            done=outcome.done,
            message="packed"
            if outcome.done
            else " ".join(str(m) for messages in (outcome.errors or {}).values() for m in messages),
        )
        for outcome in outcomes
    ]
