from django.db.models import Prefetch, QuerySet

from oms.orders.models import Order, OrderItem
from oms.packages.models import Package


def order_list() -> QuerySet[Order]:
    return Order.objects.prefetch_related(
        Prefetch("items", queryset=OrderItem.objects.order_by("id")),
        Prefetch("packages", queryset=Package.objects.order_by("id")),
    ).order_by("-id")
