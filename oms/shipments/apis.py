import django_filters
from rest_framework import mixins, viewsets

from oms.core.filters import StatusFilter
from oms.core.permissions import IsStaffOrReadOnly
from oms.core.statuses import ShipmentStatus
from oms.core.viewsets import IntegrityErrorAs400Mixin
from oms.shipments.models import CargoCompany, CargoCompanyCondition, Shipment
from oms.shipments.serializers import (
    CargoCompanyConditionSerializer,
    CargoCompanySerializer,
    ShipmentSerializer,
)


class CargoCompanyViewSet(
    IntegrityErrorAs400Mixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    queryset = CargoCompany.objects.order_by("id")
    serializer_class = CargoCompanySerializer
    permission_classes = [IsStaffOrReadOnly]
    filterset_fields = ["omnitron_id", "erp_code", "shipping_company"]
    http_method_names = ["get", "post", "patch", "head", "options"]


class CargoCompanyConditionViewSet(IntegrityErrorAs400Mixin, viewsets.ModelViewSet):
    queryset = CargoCompanyCondition.objects.order_by("id")
    serializer_class = CargoCompanyConditionSerializer
    permission_classes = [IsStaffOrReadOnly]
    filterset_fields = ["cargo_company"]


class ShipmentFilter(django_filters.FilterSet):
    status = StatusFilter(choices=ShipmentStatus)
    tracking_number = django_filters.CharFilter()
    package = django_filters.NumberFilter()

    class Meta:
        model = Shipment
        fields = ["status", "tracking_number", "package", "cargo_company"]


class ShipmentViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Shipment.objects.order_by("id")
    serializer_class = ShipmentSerializer
    filterset_class = ShipmentFilter
