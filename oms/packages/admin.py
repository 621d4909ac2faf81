from django.contrib import admin

from oms.core.admin_base import ReadOnlyAdmin, ReadOnlyTabularInline, package_link
from oms.packages.models import Package, PackageItem, StockLocation
from oms.shipments.models import Shipment


class PackageItemInline(ReadOnlyTabularInline):
    model = PackageItem
    fields = ("order_item", "sku", "barcode", "product_name", "status")
    readonly_fields = fields
    ordering = ("id",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("order_item")

    @admin.display(description="SKU")
    def sku(self, obj: PackageItem) -> str:
        return obj.order_item.sku

    @admin.display(description="barcode")
    def barcode(self, obj: PackageItem) -> str:
        return obj.order_item.barcode

    @admin.display(description="product")
    def product_name(self, obj: PackageItem) -> str:
        return obj.order_item.product_name


def _shipment(package: Package) -> Shipment | None:
    # `shipment` is select_related: a package without one has None cached, no query.
    try:
        return package.shipment
    except Shipment.DoesNotExist:
        return None


@admin.register(Package)
class PackageAdmin(ReadOnlyAdmin):
    """Packages: read-only here; their status changes through commands (the package page)."""

    change_form_template = "dashboard/admin/package_change_form.html"
    list_display = (
        "number",
        "order_number",
        "channel",
        "status",
        "tracking_number",
        "shipment_status",
        "stock_location",
        "created_at",
        "modified_at",
        "page",
    )
    list_filter = ("status", "order__channel", "order__cargo_company", "created_at", "modified_at")
    search_fields = (
        "number",
        "order__number",
        "order__omnitron_id__exact",
        "shipment__tracking_number",
        "order__tracking_number",
    )
    list_select_related = ("order", "order__channel", "stock_location", "shipment")
    ordering = ("-id",)
    inlines = [PackageItemInline]

    @admin.display(description="order", ordering="order__number")
    def order_number(self, obj: Package) -> str:
        return obj.order.number

    @admin.display(description="channel", ordering="order__channel__name")
    def channel(self, obj: Package) -> str:
        return obj.order.channel.name

    @admin.display(description="tracking number", ordering="shipment__tracking_number")
    def tracking_number(self, obj: Package) -> str:
        shipment = _shipment(obj)
        return shipment.tracking_number if shipment else "—"

    @admin.display(description="shipment", ordering="shipment__status")
    def shipment_status(self, obj: Package) -> str:
        shipment = _shipment(obj)
        return shipment.get_status_display() if shipment else "—"

    @admin.display(description="timeline")
    def page(self, obj: Package) -> str:
        return package_link(obj.pk, "timeline & commands")


@admin.register(StockLocation)
class StockLocationAdmin(admin.ModelAdmin):
    list_display = ("name", "erp_code", "is_default", "created_at")
    list_filter = ("is_default",)
    search_fields = ("name", "erp_code")
    readonly_fields = ("created_at", "modified_at")
    ordering = ("name", "id")
