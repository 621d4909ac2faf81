from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from oms.core.serializers import FieldsBuiltOnceMixin, StatusField
from oms.core.statuses import PackageStatus
from oms.omnitron.models import OmnitronReport
from oms.packages.cancellations import ON_THE_WAY
from oms.packages.models import Package, PackageItem
from oms.packages.selectors import package_commands_by_status
from oms.shipments.serializers import ShipmentSerializer


class PackageOrderSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    omnitron_id = serializers.IntegerField()
    channel = serializers.IntegerField(source="channel_id")


class PackageItemSerializer(FieldsBuiltOnceMixin, serializers.ModelSerializer):
    status = StatusField(PackageStatus)
    status_code = serializers.IntegerField(source="status", read_only=True)
    order_item = serializers.IntegerField(source="order_item_id")
    order_item_omnitron_id = serializers.IntegerField(source="order_item.omnitron_id")
    sku = serializers.CharField(source="order_item.sku")
    barcode = serializers.CharField(source="order_item.barcode")
    product_name = serializers.CharField(source="order_item.product_name")

    class Meta:
        model = PackageItem
        fields = [
            "id",
            "order_item",
            "order_item_omnitron_id",
            "sku",
            "barcode",
            "product_name",
            "status",
            "status_code",
        ]


class PackageReportSerializer(FieldsBuiltOnceMixin, serializers.ModelSerializer):
    """A report to Omnitron about this package, and where its delivery stands."""

    class Meta:
        model = OmnitronReport
        fields = [
            "id",
            "kind",
            "state",
            "payload",
            "attempts",
            "last_error",
            "next_attempt_at",
            "sent_at",
            "response",
            "created_at",
        ]


SHIPPED_STATUSES = ON_THE_WAY | {PackageStatus.DELIVERED}


class PackageSerializer(FieldsBuiltOnceMixin, serializers.ModelSerializer):
    """A package. `commands` reads `commands_by_status` from the context when the view put it
    there (one query per request), else loads it once per serializer."""

    status = StatusField(PackageStatus)
    status_code = serializers.IntegerField(source="status", read_only=True)
    order = PackageOrderSerializer()
    stock_location = serializers.CharField(source="stock_location.erp_code")
    items = PackageItemSerializer(many=True)
    shipment = serializers.SerializerMethodField()
    commands = serializers.SerializerMethodField()
    reports = PackageReportSerializer(many=True, read_only=True)
    shipped_after_cancellation = serializers.SerializerMethodField()

    class Meta:
        model = Package
        fields = [
            "id",
            "number",
            "status",
            "status_code",
            "order",
            "stock_location",
            "items",
            "shipment",
            "commands",
            "reports",
            "cancellation_requested_at",
            "shipped_after_cancellation",
            "refund_requested_at",
            "created_at",
            "modified_at",
        ]

    @extend_schema_field(ShipmentSerializer(allow_null=True))
    def get_shipment(self, package: Package) -> dict | None:
        shipment = getattr(package, "shipment", None)
        return ShipmentSerializer(shipment).data if shipment is not None else None

    def get_shipped_after_cancellation(self, package: Package) -> bool:
        """Omnitron cancelled items of this package, and the carrier took the parcel all the same."""
        return package.cancellation_requested_at is not None and package.status in SHIPPED_STATUSES

    def get_commands(self, package: Package) -> list[str]:
        commands_by_status = self.context.get("commands_by_status")
        if commands_by_status is None:
            # Outside the package list (e.g. embedded elsewhere): one query for this package.
            commands_by_status = package_commands_by_status()
            # DRF's context is the dict the serializer was given; the stubs type it as a read-only Mapping.
            self.context["commands_by_status"] = commands_by_status  # type: ignore[index]
        return commands_by_status.get(package.status, [])
