import django_filters
from rest_framework import viewsets

from oms.core.filters import IdFilter, StatusFilter
from oms.core.statuses import OrderStatus
from oms.orders.models import Order
from oms.orders.selectors import order_list
from oms.orders.serializers import OrderSerializer


class OrderFilter(django_filters.FilterSet):
    number = django_filters.CharFilter()
    omnitron_id = IdFilter()
    channel = IdFilter(field_name="channel_id")
    status = StatusFilter(choices=OrderStatus)

    class Meta:
        model = Order
        fields = ["number", "omnitron_id", "channel", "status"]


class OrderViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = OrderSerializer
    filterset_class = OrderFilter

    def get_queryset(self):
        return order_list()
