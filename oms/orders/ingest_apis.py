from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from oms.core.errors import DomainError
from oms.omnitron.client import omnitron_client_get
from oms.orders.selectors import order_list
from oms.orders.serializers import OrderSerializer
from oms.orders.services import order_ingest_pushed


class OmnitronOrderIngestApi(APIView):
    """Receive an order from Omnitron (its webhook, or a sender that has only the pk).

    The body is an Omnitron order exactly as `GET /api/v1/orders/{pk}/` returns it, or `{"pk": N}`.
    201 with the OMS order when it is new; 200 with the existing one when it was already ingested.
    """

    @extend_schema(
        request=OpenApiTypes.OBJECT,
        responses={200: OrderSerializer, 201: OrderSerializer},
        examples=[OpenApiExample("By pk", value={"pk": 1001}, request_only=True)],
    )
    def post(self, request):
        body = request.data
        if not isinstance(body, dict):
            raise DomainError('The body must be a JSON object: an Omnitron order, or {"pk": N}.')
        result = order_ingest_pushed(body=body, client_factory=omnitron_client_get, now=timezone.now())
        # A new order is answered from what was just written; an existing one is read as GET shows it.
        order = result.order if result.created else order_list().get(pk=result.order.pk)
        return Response(
            OrderSerializer(order).data,
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )
