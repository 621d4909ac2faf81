from rest_framework import serializers

from oms.core.serializers import FieldsBuiltOnceMixin, StatusField
from oms.core.statuses import OrderStatus, PackageStatus
from oms.orders.models import Order, OrderItem
from oms.packages.models import Package


class OrderItemSerializer(FieldsBuiltOnceMixin, serializers.ModelSerializer):
    status = StatusField(OrderStatus)
    status_code = serializers.IntegerField(source="status", read_only=True)

    class Meta:
        model = OrderItem
        fields = [
            "id",
            "omnitron_id",
            "status",
            "status_code",
            "sku",
            "barcode",
            "product_name",
            "price",
            "price_currency",
            "tracking_number",
        ]


class PackageShortSerializer(FieldsBuiltOnceMixin, serializers.ModelSerializer):
    status = StatusField(PackageStatus)
    status_code = serializers.IntegerField(source="status", read_only=True)

    class Meta:
        model = Package
        fields = ["id", "number", "status", "status_code"]


class OrderSerializer(FieldsBuiltOnceMixin, serializers.ModelSerializer):
    status = StatusField(OrderStatus)
    status_code = serializers.IntegerField(source="status", read_only=True)
    items = OrderItemSerializer(many=True, read_only=True)
    packages = PackageShortSerializer(many=True, read_only=True)
    warnings = serializers.SerializerMethodField()

    class Meta:
        model = Order
        fields = [
            "id",
            "omnitron_id",
            "number",
            "channel",
            "status",
            "status_code",
            "cargo_company",
            "omnitron_cargo_company_id",
            "tracking_number",
            "date_placed",
            "currency",
            "amount",
            "shipping_amount",
            "delivery_type",
            "shipping_option_slug",
            "extra_field",
            "items",
            "packages",
            "warnings",
            "created_at",
            "modified_at",
        ]

    def get_warnings(self, order: Order) -> list[str]:
        warnings = []
        if order.cargo_company_id is None and order.omnitron_cargo_company_id is not None:
            warnings.append(
                f"Omnitron cargo company {order.omnitron_cargo_company_id} is not known to OMS: "
                "run `oms sync_cargo_companies` or POST /api/v1/oms/cargo-companies/ with "
                f'"omnitron_id": {order.omnitron_cargo_company_id}.'
            )
        if order.cargo_company_id is None and order.omnitron_cargo_company_id is None:
            warnings.append("Omnitron sent this order without a cargo company.")
        return warnings
