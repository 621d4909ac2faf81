from rest_framework import serializers

from oms.core.serializers import StatusField
from oms.core.statuses import PackageStatus
from oms.packages.models import Package, PackageItem
from oms.shipments.serializers import ShipmentSerializer


class PackageOrderSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    omnitron_id = serializers.IntegerField()
    channel = serializers.IntegerField(source="channel_id")


class PackageItemSerializer(serializers.ModelSerializer):
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


class PackageSerializer(serializers.ModelSerializer):
    """A package; `commands` needs `commands_by_status` in the context (one query per request)."""

    status = StatusField(PackageStatus)
    status_code = serializers.IntegerField(source="status", read_only=True)
    order = PackageOrderSerializer()
    stock_location = serializers.CharField(source="stock_location.erp_code")
    items = PackageItemSerializer(many=True)
    shipment = serializers.SerializerMethodField()
    commands = serializers.SerializerMethodField()

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
            "created_at",
            "modified_at",
        ]

    def get_shipment(self, package: Package) -> dict | None:
        shipment = getattr(package, "shipment", None)
        return ShipmentSerializer(shipment).data if shipment is not None else None

    def get_commands(self, package: Package) -> list[str]:
        return self.context["commands_by_status"].get(package.status, [])
