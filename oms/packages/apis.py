from rest_framework import viewsets

from oms.packages.filters import PackageFilter
from oms.packages.selectors import package_commands_by_status, package_list
from oms.packages.serializers import PackageSerializer


class PackageViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = PackageSerializer
    filterset_class = PackageFilter

    def get_queryset(self):
        return package_list()

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "commands_by_status": package_commands_by_status()}
