import django_filters
from rest_framework import viewsets

from oms.core.filters import IdFilter, StatusFilter
from oms.core.statuses import PackageStatus
from oms.packages.models import Package
from oms.packages.selectors import package_commands_by_status, package_list
from oms.packages.serializers import PackageSerializer


class PackageFilter(django_filters.FilterSet):
    order_number = django_filters.CharFilter(field_name="order__number")
    order_omnitron_id = IdFilter(field_name="order__omnitron_id")
    status = StatusFilter(choices=PackageStatus)
    channel = IdFilter(field_name="order__channel_id")

    class Meta:
        model = Package
        fields = ["order_number", "order_omnitron_id", "status", "channel"]


class PackageViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = PackageSerializer
    filterset_class = PackageFilter

    def get_queryset(self):
        return package_list()

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["commands_by_status"] = package_commands_by_status()
        return context
