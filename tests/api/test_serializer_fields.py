"""Read serializers build their model fields once per class (FieldsBuiltOnceMixin).

What must hold: each serializer still gets its own bound field objects, the answer is exactly what
a serializer that builds its fields afresh gives, and the model is not inspected again.
"""

import pytest
from rest_framework import serializers

from oms.core.statuses import PackageStatus
from oms.orders.serializers import OrderSerializer
from oms.packages.models import Package
from oms.packages.serializers import PackageSerializer
from tests.api.conftest import make_order, make_package


@pytest.fixture
def orders(channel_42, cargo_company_1):
    first = make_order(channel=channel_42, items=2, cargo_company=cargo_company_1)
    second = make_order(channel=channel_42, items=3)
    make_package(order=first, status=PackageStatus.PACKED, shipment=True)
    make_package(order=second)
    return first, second


def _fresh(cls):
    """A subclass with nothing cached: it builds its fields from the model, as plain DRF does."""
    return type(f"Fresh{cls.__name__}", (cls,), {"__module__": __name__})


def test_two_serializers_get_their_own_bound_fields(orders):
    first, second = (OrderSerializer(order) for order in orders)

    assert first.fields["number"] is not second.fields["number"]
    assert first.fields["number"].parent is first and second.fields["number"].parent is second
    assert first.fields["items"].child is not second.fields["items"].child


@pytest.mark.parametrize(
    ("serializer_class", "rows"),
    [
        (OrderSerializer, lambda orders: list(orders)),
        (PackageSerializer, lambda orders: list(Package.objects.filter(order__in=orders).order_by("id"))),
    ],
    ids=["order", "package"],
)
def test_the_answer_is_what_freshly_built_fields_give(orders, serializer_class, rows):
    instances = rows(orders)
    serializer_class(instances[0]).data  # the class's fields are built (and kept) here

    cached = [serializer_class(instance).data for instance in instances]
    fresh = [_fresh(serializer_class)(instance).data for instance in instances]
    many = serializer_class(instances, many=True).data

    assert cached == fresh == many
    assert cached[0] != cached[1]  # each instance answered with its own values


def test_the_model_is_inspected_once_per_class(orders, monkeypatch):
    OrderSerializer(orders[0]).data  # built once
    built = []
    original = serializers.ModelSerializer.build_field

    def counting(self, *args, **kwargs):
        built.append(type(self).__name__)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(serializers.ModelSerializer, "build_field", counting)

    for order in orders:
        OrderSerializer(order).data
    _fresh(OrderSerializer)(orders[0]).data

    assert built and set(built) == {"FreshOrderSerializer"}
