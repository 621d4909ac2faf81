import django_filters
from rest_framework import viewsets

from oms.core.filters import IdFilter
from oms.core.permissions import IsStaffOrReadOnly
from oms.core.viewsets import IntegrityErrorAs400Mixin
from oms.transitions.models import StateTransition, StateTransitionLog
from oms.transitions.serializers import StateTransitionLogSerializer, StateTransitionSerializer


class StateTransitionFilter(django_filters.FilterSet):
    class Meta:
        model = StateTransition
        fields = ["model", "command", "slug"]


class StateTransitionViewSet(IntegrityErrorAs400Mixin, viewsets.ModelViewSet):
    queryset = StateTransition.objects.order_by("id")
    serializer_class = StateTransitionSerializer
    permission_classes = [IsStaffOrReadOnly]
    filterset_class = StateTransitionFilter
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]


class StateTransitionLogFilter(django_filters.FilterSet):
    package = IdFilter(field_name="package_id")
    order = IdFilter(field_name="package__order_id")
    command = django_filters.CharFilter(field_name="command")
    slug = django_filters.CharFilter(field_name="attributes__slug")
    user = IdFilter(field_name="actor_id")
    created_at__gte = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_at__lt = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = StateTransitionLog
        fields = ["package", "order", "command", "slug", "user", "created_at__gte", "created_at__lt"]


class StateTransitionLogViewSet(viewsets.ReadOnlyModelViewSet):
    """Every package status change: who ran which command (or resolution), from, to, when."""

    queryset = StateTransitionLog.objects.select_related("actor").order_by("-created_at", "-id")
    serializer_class = StateTransitionLogSerializer
    filterset_class = StateTransitionLogFilter
