import django_filters
from rest_framework import mixins, viewsets

from oms.configuration.keys import AUTO_RUN_SHIP_THE_PACKAGE_COMMAND
from oms.configuration.models import ApplicationSetting
from oms.configuration.serializers import ApplicationSettingSerializer
from oms.core.permissions import IsStaffOrReadOnly
from oms.core.viewsets import IntegrityErrorAs400Mixin


class ApplicationSettingFilter(django_filters.FilterSet):
    key = django_filters.CharFilter(
        help_text=f"The exact setting key, e.g. {AUTO_RUN_SHIP_THE_PACKAGE_COMMAND}."
    )

    class Meta:
        model = ApplicationSetting
        fields = ["key"]


class ApplicationSettingViewSet(
    IntegrityErrorAs400Mixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    queryset = ApplicationSetting.objects.order_by("id")
    serializer_class = ApplicationSettingSerializer
    permission_classes = [IsStaffOrReadOnly]
    filterset_class = ApplicationSettingFilter
    http_method_names = ["get", "post", "patch", "head", "options"]
