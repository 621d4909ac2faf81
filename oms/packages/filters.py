"""Search and filters of the package list."""

import django_filters
from django.db.models import Exists, OuterRef, Q, QuerySet

from oms.core.filters import IdFilter, IsoDateTimeFilter, StatusFilter
from oms.core.statuses import PackageStatus
from oms.packages.models import Package, PackageItem


def package_search_q(value: str) -> Q:
    """Packages whose order number, tracking number (the shipment's, or the one the marketplace gave
    the order before packing), or an item's barcode or SKU is exactly `value`."""
    value = value.strip()
    items = PackageItem.objects.filter(
        Q(order_item__barcode=value) | Q(order_item__sku=value), package=OuterRef("pk")
    )
    # Q | Exists is a Q (Q.__or__ takes any conditional expression); django-stubs types it Combinable.
    return (
        Q(order__number=value)  # type: ignore[return-value]
        | Q(shipment__tracking_number=value)
        | Q(order__tracking_number=value)
        | Exists(items)
    )


def _with_item(queryset: QuerySet[Package], condition: Q) -> QuerySet[Package]:
    # A subquery rather than a join: a package with several matching items is listed once.
    return queryset.filter(Exists(PackageItem.objects.filter(condition, package=OuterRef("pk"))))


class PackageFilter(django_filters.FilterSet):
    order_number = django_filters.CharFilter(field_name="order__number", help_text="The order's number.")
    order_omnitron_id = IdFilter(field_name="order__omnitron_id", help_text="The order's id in Omnitron.")
    tracking_number = django_filters.CharFilter(
        field_name="shipment__tracking_number", help_text="The tracking number of the package's shipment."
    )
    barcode = django_filters.CharFilter(method="_barcode", help_text="An item's barcode.")
    sku = django_filters.CharFilter(method="_sku", help_text="An item's SKU.")
    status = StatusFilter(choices=PackageStatus)
    channel = IdFilter(field_name="order__channel_id", help_text="The order's sales channel id.")
    cargo_company = IdFilter(field_name="order__cargo_company_id", help_text="The order's cargo company id.")
    created_after = IsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", help_text="Created at or after (ISO-8601)."
    )
    created_before = IsoDateTimeFilter(
        field_name="created_at", lookup_expr="lt", help_text="Created before (ISO-8601)."
    )
    packed_after = IsoDateTimeFilter(
        field_name="shipment__created_at",
        lookup_expr="gte",
        help_text="Packed (its shipment created) at or after (ISO-8601).",
    )
    packed_before = IsoDateTimeFilter(
        field_name="shipment__created_at",
        lookup_expr="lt",
        help_text="Packed (its shipment created) before (ISO-8601).",
    )
    search = django_filters.CharFilter(
        method="_search",
        help_text="One value matched exactly against order number, tracking number, item barcode and SKU.",
    )

    class Meta:
        model = Package
        fields: list[str] = []

    def _barcode(self, queryset, name, value):
        return _with_item(queryset, Q(order_item__barcode=value))

    def _sku(self, queryset, name, value):
        return _with_item(queryset, Q(order_item__sku=value))

    def _search(self, queryset, name, value):
        value = value.strip()
        items = PackageItem.objects.filter(
            Q(order_item__barcode=value) | Q(order_item__sku=value), package=OuterRef("pk")
        )
        return queryset.filter(Q(order__number=value) | Q(shipment__tracking_number=value) | Exists(items))
