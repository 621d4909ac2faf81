"""Rows for the operator page tests, made with the ORM as the engine would have left them."""

import itertools
from datetime import datetime

from django.utils import timezone

from oms.channels.models import Channel
from oms.core.statuses import OrderStatus, PackageStatus, ShipmentStatus
from oms.omnitron.models import OmnitronReport, OmnitronReportAttempt, ReportKind, ReportState
from oms.orders.models import Order, OrderItem
from oms.orders.services import stock_location_default
from oms.packages.models import Package, PackageItem
from oms.shipments.clients.omnitron_shipment_client import OmnitronShipmentClient
from oms.shipments.models import CargoCompany, Shipment
from oms.transitions.models import StateTransitionLog

_n = itertools.count(1)


def make_channel(name: str = "Trendyol", channel_type: str = "sales_channel") -> Channel:
    return Channel.objects.create(name=name, channel_type=channel_type, omnitron_id=next(_n) + 5000)


def make_cargo_company(name: str = "Yurtici Kargo") -> CargoCompany:
    return CargoCompany.objects.create(name=name, omnitron_id=next(_n) + 7000)


def make_package(
    *,
    channel: Channel,
    status: int = PackageStatus.WAITING,
    cargo_company: CargoCompany | None = None,
    items: int = 1,
) -> Package:
    n = next(_n)
    order = Order.objects.create(
        omnitron_id=800_000 + n,
        number=f"TY-{n:06d}",
        channel=channel,
        cargo_company=cargo_company,
        tracking_number=f"TRK-{n:06d}",
        status=OrderStatus.APPROVED,
    )
    package = Package.objects.create(
        number=f"PKG-{n:06d}", order=order, stock_location=stock_location_default(), status=status
    )
    for i in range(items):
        item = OrderItem.objects.create(
            order=order, omnitron_id=order.omnitron_id * 100 + i, sku=f"SKU-{n}-{i}", barcode=f"BC-{n}-{i}"
        )
        PackageItem.objects.create(package=package, order_item=item, status=status)
    return package


def make_shipment(package: Package, *, status: int = ShipmentStatus.CREATED, **fields) -> Shipment:
    return Shipment.objects.create(
        package=package,
        cargo_company=package.order.cargo_company,
        tracking_number=fields.pop("tracking_number", package.order.tracking_number),
        status=status,
        client=OmnitronShipmentClient.path,
        **fields,
    )


def make_log(
    package: Package, *, old: int, new: int, at: datetime | None = None, command: str = "", **fields
) -> StateTransitionLog:
    return StateTransitionLog.objects.create(
        package=package,
        command=command or "CHANNEL_BASED_COMPLETE_PACKAGING",
        old_state=old,
        new_state=new,
        created_at=at or timezone.now(),
        **fields,
    )


def make_report(
    package: Package | None, *, state: str = ReportState.PENDING, attempts: int = 0, **fields
) -> OmnitronReport:
    report = OmnitronReport.objects.create(
        package=package,
        kind=ReportKind.ORDER_ITEM_STATUSES,
        payload={"orderitem_set": []},
        state=state,
        attempts=attempts,
        next_attempt_at=fields.pop("next_attempt_at", timezone.now()),
        **fields,
    )
    for _ in range(attempts):
        OmnitronReportAttempt.objects.create(
            report=report, attempted_at=timezone.now(), outcome=state, detail=report.last_error
        )
    return report
