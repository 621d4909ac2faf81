import django_filters
from rest_framework import mixins, viewsets

from oms.configuration.models import ApplicationSetting
from oms.configuration.serializers import ApplicationSettingSerializer
from oms.core.permissions import IsStaffOrReadOnly


class ApplicationSettingFilter(django_filters.FilterSet):
    key = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = ApplicationSetting
        fields = ["key"]


class ApplicationSettingViewSet(
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
