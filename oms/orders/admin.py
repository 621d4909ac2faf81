from django.contrib import admin

from oms.core.admin_base import ReadOnlyAdmin, ReadOnlyTabularInline, package_link
from oms.orders.models import Order, OrderItem
from oms.packages.models import Package


class OrderItemInline(ReadOnlyTabularInline):
    model = OrderItem
    fields = ("omnitron_id", "sku", "barcode", "product_name", "price", "price_currency", "status")
    readonly_fields = fields
    ordering = ("id",)


class PackageInline(ReadOnlyTabularInline):
    model = Package
    fields = ("page", "status", "stock_location", "created_at")
    readonly_fields = fields
    ordering = ("id",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("stock_location")

    @admin.display(description="package")
    def page(self, obj: Package) -> str:
        return package_link(obj.pk, obj.number)


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    """Orders as Omnitron sent them: read-only (ingestion and reconciliation write them)."""

    list_display = (
        "number",
        "omnitron_id",
        "channel",
        "status",
        "cargo_company",
        "tracking_number",
        "amount",
        "currency",
        "date_placed",
        "created_at",
    )
    list_filter = ("status", "channel", "cargo_company", "date_placed", "created_at")
    search_fields = ("number", "omnitron_id__exact", "tracking_number", "packages__number")
    list_select_related = ("channel", "cargo_company")
    ordering = ("-id",)
    inlines = [OrderItemInline, PackageInline]


# Cancellation plans (kept in their own module).
import oms.orders.cancellation_admin  # noqa: E402, F401
