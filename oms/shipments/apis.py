import django_filters
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from oms.core.filters import IdFilter, StatusFilter
from oms.core.permissions import IsStaffOrReadOnly
from oms.core.statuses import ShipmentStatus
from oms.core.viewsets import IntegrityErrorAs400Mixin
from oms.shipments.listeners import cargo_company_saved_notify
from oms.shipments.models import (
    CargoCompany,
    CargoCompanyCondition,
    Shipment,
    ShipmentObservation,
    TrackingNumberChange,
)
from oms.shipments.resolution import resolution_health_get
from oms.shipments.serializers import (
    CargoCompanyConditionSerializer,
    CargoCompanySerializer,
    ResolutionHealthSerializer,
    ShipmentObservationSerializer,
    ShipmentSerializer,
    TrackingNumberChangeSerializer,
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

    # Orders that arrived before their cargo company was known become routable at once.
    def perform_create(self, serializer) -> None:
        super().perform_create(serializer)
        cargo_company_saved_notify(cargo_company=serializer.instance)

    def perform_update(self, serializer) -> None:
        super().perform_update(serializer)
        cargo_company_saved_notify(cargo_company=serializer.instance)


class CargoCompanyConditionViewSet(IntegrityErrorAs400Mixin, viewsets.ModelViewSet):
    queryset = CargoCompanyCondition.objects.order_by("id")
    serializer_class = CargoCompanyConditionSerializer
    permission_classes = [IsStaffOrReadOnly]
    filterset_fields = ["cargo_company"]


class ShipmentFilter(django_filters.FilterSet):
    status = StatusFilter(choices=ShipmentStatus)
    tracking_number = django_filters.CharFilter()
    package = IdFilter()

    class Meta:
        model = Shipment
        fields = ["status", "tracking_number", "package", "cargo_company"]


class ShipmentViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Shipment.objects.order_by("id")
    serializer_class = ShipmentSerializer
    filterset_class = ShipmentFilter


class ShipmentObservationViewSet(viewsets.ReadOnlyModelViewSet):
    """What Omnitron said about followed shipments when it mattered (applied, backward, unknown)."""

    queryset = ShipmentObservation.objects.order_by("-id")
    serializer_class = ShipmentObservationSerializer
    filterset_fields = ["shipment", "outcome", "omnitron_status"]


class TrackingNumberChangeViewSet(viewsets.ReadOnlyModelViewSet):
    """Tracking numbers Omnitron re-issued; the old number is kept here."""

    queryset = TrackingNumberChange.objects.order_by("-id")
    serializer_class = TrackingNumberChangeSerializer
    filterset_fields = ["shipment"]


class ShipmentStatusResolutionApi(APIView):
    """How shipment status resolution is doing: last cycle, circuit breaker, backlog."""

    @extend_schema(responses=ResolutionHealthSerializer)
    def get(self, request):
        return Response(ResolutionHealthSerializer(resolution_health_get(now=timezone.now())).data)
