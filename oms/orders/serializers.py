import functools

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


def order_representation(order: Order) -> dict:
    """What `OrderSerializer(order).data` answers, from one serializer whose fields were built once.

    A new `OrderSerializer` builds (copies) its fields, and its nested serializers' fields, before
    it writes a single value: most of what answering one order costs. Writing a representation
    reads those fields and changes none of them, and `OrderSerializer` needs no context (no request,
    no hyperlinks), so one instance per process serves every answer.
    """
    return _order_output().to_representation(order)


@functools.cache
def _order_output() -> OrderSerializer:
    serializer = OrderSerializer()
    serializer.fields  # noqa: B018 (built and bound here, once)
    return serializer
