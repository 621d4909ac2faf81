from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from oms.core.errors import DomainError
from oms.core.permissions import IsStaffOrReadOnly
from oms.core.viewsets import IntegrityErrorAs400Mixin
from oms.events.models import DeliveryState
from oms.events.selectors import delivery_list, subscription_list
from oms.events.serializers import EventDeliverySerializer, ReplaySerializer, WebhookSubscriptionSerializer
from oms.events.services import event_replay


class IsStaff(permissions.BasePermission):
    """Subscriptions send OMS's data out: only staff may read or change them."""

    message = "Only staff users may see webhook subscriptions. Ask an administrator."

    def has_permission(self, request, view) -> bool:
        if request.method not in permissions.SAFE_METHODS:
            self.message = IsStaffOrReadOnly.message  # the words every configuration write answers
        return bool(request.user and request.user.is_authenticated and request.user.is_staff)


class WebhookSubscriptionViewSet(IntegrityErrorAs400Mixin, viewsets.ModelViewSet):
    """Webhook subscriptions (Akinon's whisperer hooks), their deliveries, and replays."""

    queryset = subscription_list()
    serializer_class = WebhookSubscriptionSerializer
    permission_classes = [IsStaff]
    filterset_fields = ["event_type", "is_active"]
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    @extend_schema(responses=EventDeliverySerializer(many=True))
    @action(detail=True, methods=["get"])
    def deliveries(self, request, pk=None, format=None):
        """Recent deliveries of this subscription, newest first, with every attempt and answer."""
        subscription = self.get_object()
        rows = delivery_list(subscription_id=subscription.pk)
        state = request.query_params.get("state")
        if state:
            if state not in DeliveryState.values:
                raise DomainError(
                    f"Unknown state '{state}'. Use one of: {', '.join(DeliveryState.values)}.", field="state"
                )
            rows = rows.filter(state=state)
        for name in ("event_type", "key"):
            if request.query_params.get(name):
                rows = rows.filter(**{name: request.query_params[name][:128]})
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(EventDeliverySerializer(page, many=True).data)

    @extend_schema(request=ReplaySerializer, responses=EventDeliverySerializer(many=True))
    @action(detail=True, methods=["post"])
    def replay(self, request, pk=None, format=None):
        """Send a dead-lettered event again (`{"event": id}`), or every event of a time range."""
        subscription = self.get_object()
        serializer = ReplaySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        params = serializer.validated_data
        rows = event_replay(
            subscription_id=subscription.pk,
            delivery_id=params.get("event"),
            since=params.get("since"),
            until=params.get("until"),
            now=timezone.now(),
        )
        body = {"replayed": len(rows), "deliveries": [row.pk for row in rows]}
        return Response(body, status=status.HTTP_202_ACCEPTED)
