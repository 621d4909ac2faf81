import django_filters
from rest_framework import mixins, viewsets

from oms.channels.models import Channel
from oms.channels.serializers import ChannelSerializer
from oms.core.permissions import IsStaffOrReadOnly
from oms.core.viewsets import IntegrityErrorAs400Mixin


class ChannelFilter(django_filters.FilterSet):
    class Meta:
        model = Channel
        fields = ["channel_type", "omnitron_id", "is_active"]


class ChannelViewSet(
    IntegrityErrorAs400Mixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    queryset = Channel.objects.order_by("id")
    serializer_class = ChannelSerializer
    permission_classes = [IsStaffOrReadOnly]
    filterset_class = ChannelFilter
    http_method_names = ["get", "post", "patch", "head", "options"]
