"""One real row of every resource the API and the admin serve, so that URLs with ids hit a row.

Used by the security tests (URLs with ids are filled in with these rows' ids) and the schema fuzzer
(detail endpoints are exercised on existing rows, not only on 404s). Rows are made with the ORM;
nothing here talks to Omnitron.
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from oms.channels.models import Channel
from oms.configuration.models import ApplicationSetting
from oms.core.statuses import OrderStatus, PackageStatus, ShipmentStatus
from oms.omnitron.models import OmnitronReport, OmnitronReportAttempt, ReportKind, ReportState, SyncCursor
from oms.operations.marketplace import marketplace_setup
from oms.orders.models import Order, OrderItem
from oms.orders.services import stock_location_default
from oms.packages.models import Package, PackageItem
from oms.shipments.models import (
    CargoCompany,
    CargoCompanyCondition,
    ObservationOutcome,
    ResolutionHealth,
    Shipment,
    ShipmentObservation,
    TrackingNumberChange,
)
from oms.transitions.models import StateTransition, StateTransitionLog

CONDITION_KLASS = "oms.shipments.shipment_conditions.ChannelBasedOrdersCondition"
CLIENT_KLASS = "oms.shipments.clients.omnitron_shipment_client.OmnitronShipmentClient"


@dataclass
class Rows:
    channel: Channel
    cargo_company: CargoCompany
    condition: CargoCompanyCondition
    transition: StateTransition
    setting: ApplicationSetting
    order: Order
    package: Package
    shipment: Shipment
    waiting_package: Package
    observation: ShipmentObservation
    tracking_change: TrackingNumberChange
    group: Group


def condition_rules(channel_id: int) -> dict:
    return {
        "rules": [
            {
                "klass": CONDITION_KLASS,
                "params": {
                    "condition_type": "sales_channel",
                    "channels": [channel_id],
                    "conf": {"klass": CLIENT_KLASS},
                },
            }
        ]
    }


def _order(*, channel: Channel, cargo_company: CargoCompany, omnitron_id: int, tracking: str) -> Order:
    order = Order.objects.create(
        omnitron_id=omnitron_id,
        number=f"SEC-{omnitron_id}",
        channel=channel,
        status=OrderStatus.APPROVED,
        cargo_company=cargo_company,
        omnitron_cargo_company_id=cargo_company.omnitron_id,
        tracking_number=tracking,
        date_placed=timezone.now(),
    )
    OrderItem.objects.create(
        order=order,
        omnitron_id=omnitron_id * 100 + 1,
        status=OrderStatus.APPROVED,
        sku="SKU-1",
        barcode="8690000000001",
        product_name="T-shirt",
        price="174.90",
        price_currency="try",
        tracking_number=tracking,
    )
    return order


def _package(order: Order, status: int) -> Package:
    package = Package.objects.create(
        number=f"PKG-{order.omnitron_id}-1",
        order=order,
        stock_location=stock_location_default(),
        status=status,
    )
    for item in order.items.order_by("id"):
        PackageItem.objects.create(package=package, order_item=item, status=status)
    return package


def every_row(*, omnitron_channel_id: int = 42, omnitron_cargo_company_id: int = 7) -> Rows:
    """A configured marketplace with one packed (shipped-to-be) package and one waiting package."""
    now = timezone.now()
    channel = Channel.objects.create(
        name="Trendyol", channel_type="sales_channel", omnitron_id=omnitron_channel_id
    )
    cargo_company = CargoCompany.objects.create(
        name="Yurtici Kargo",
        erp_code="yurtici-kargo",
        shipping_company="yurtici",
        omnitron_id=omnitron_cargo_company_id,
    )
    marketplace_setup()
    condition = CargoCompanyCondition.objects.create(
        cargo_company=cargo_company, rules_configuration=condition_rules(channel.pk)
    )
    packed_order = _order(
        channel=channel, cargo_company=cargo_company, omnitron_id=880_001, tracking="7330000000001"
    )
    package = _package(packed_order, PackageStatus.PACKED)
    shipment = Shipment.objects.create(
        package=package,
        cargo_company=cargo_company,
        tracking_number="7330000000001",
        status=ShipmentStatus.CREATED,
        client=CLIENT_KLASS,
        next_check_at=now,
    )
    StateTransitionLog.objects.create(
        package=package,
        command="CHANNEL_BASED_COMPLETE_PACKAGING",
        old_state=PackageStatus.WAITING,
        new_state=PackageStatus.PACKED,
        attributes={},
        created_at=now,
    )
    waiting_order = _order(
        channel=channel, cargo_company=cargo_company, omnitron_id=880_002, tracking="7330000000002"
    )
    waiting_package = _package(waiting_order, PackageStatus.WAITING)
    observation = ShipmentObservation.objects.create(
        shipment=shipment,
        omnitron_status=OrderStatus.SHIPPED_AND_INFORMED,
        tracking_number=shipment.tracking_number,
        outcome=ObservationOutcome.UNKNOWN,
        shipment_status_before=ShipmentStatus.CREATED,
        observed_at=now,
    )
    tracking_change = TrackingNumberChange.objects.create(
        shipment=shipment,
        old_tracking_number="7330000000000",
        new_tracking_number=shipment.tracking_number,
        changed_at=now,
    )
    ResolutionHealth.objects.get_or_create(pk=1)
    report = OmnitronReport.objects.create(
        package=package,
        kind=ReportKind.ORDER_ITEM_STATUSES,
        payload={"orderitem_set": [{"id": 88000101, "status": "450"}]},
        state=ReportState.SENT,
        attempts=1,
        sent_at=now,
    )
    OmnitronReportAttempt.objects.create(
        report=report, attempted_at=now, outcome=ReportState.SENT, status_code=200
    )
    SyncCursor.objects.get_or_create(name="orders", defaults={"value": now, "last_run_at": now})
    return Rows(
        channel=channel,
        cargo_company=cargo_company,
        condition=condition,
        transition=StateTransition.objects.order_by("id").first(),
        setting=ApplicationSetting.objects.get(key="AUTO_RUN_SHIP_THE_PACKAGE_COMMAND"),
        order=packed_order,
        package=package,
        shipment=shipment,
        waiting_package=waiting_package,
        observation=observation,
        tracking_change=tracking_change,
        group=Group.objects.create(name="warehouse"),
    )


def staff_user_make(username: str = "fuzz-staff"):
    return get_user_model().objects.create_user(
        username=username, password="fuzz-staff-password-123", is_staff=True
    )
