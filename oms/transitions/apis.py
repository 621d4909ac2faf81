import django_filters
from rest_framework import viewsets

from oms.core.permissions import IsStaffOrReadOnly
from oms.core.viewsets import IntegrityErrorAs400Mixin
from oms.transitions.models import StateTransition
from oms.transitions.serializers import StateTransitionSerializer


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
