"""`POST /api/v1/oms/cancellation_plan/`: Omnitron's cancellation plans (see docs/cancellation-plans.md)."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from oms.core.db import BIGINT_MAX
from oms.core.errors import DomainError
from oms.core.serializers import StrictFieldsMixin
from oms.omnitron.client import omnitron_client_get
from oms.orders.cancellation_models import CancellationPlan, PlanType
from oms.orders.cancellation_reads import cancellation_plan_receive


class CancellationPlanInput(StrictFieldsMixin, serializers.Serializer):
    id = serializers.IntegerField(min_value=1, max_value=BIGINT_MAX, help_text="Omnitron's plan id.")
    order = serializers.IntegerField(min_value=1, max_value=BIGINT_MAX, help_text="Omnitron order pk.")
    plan_type = serializers.ChoiceField(choices=PlanType.values)
    order_items = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=BIGINT_MAX),
        min_length=1,
        max_length=1000,
        help_text="Omnitron pks of the order items the plan covers.",
    )
    reason = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class CancellationPlanSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(source="plan_id")
    order = serializers.IntegerField(source="order.omnitron_id")
    order_items = serializers.JSONField(source="items")

    class Meta:
        model = CancellationPlan
        fields = ["id", "order", "plan_type", "order_items", "reason", "source", "received_at", "outcome"]


class CancellationPlanApi(APIView):
    """Receive a cancellation plan from Omnitron (its `cancellation_plan.created` webhook).

    201 with what OMS did to each package the first time; 200 with the same answer when the plan
    (by id) was received before.
    """

    @extend_schema(
        request=CancellationPlanInput,
        responses={200: CancellationPlanSerializer, 201: CancellationPlanSerializer},
    )
    def post(self, request):
        serializer = CancellationPlanInput(data=request.data)
        if not serializer.is_valid():
            raise DomainError(serializer.errors)
        data = serializer.validated_data
        result = cancellation_plan_receive(
            plan_id=data["id"],
            omnitron_order_id=data["order"],
            plan_type=data["plan_type"],
            item_omnitron_ids=data["order_items"],
            reason=data["reason"],
            client_factory=omnitron_client_get,
            now=timezone.now(),
        )
        return Response(
            CancellationPlanSerializer(result.plan).data,
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )
