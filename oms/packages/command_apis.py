from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from oms.core.db import BIGINT_MAX, unstorable_character
from oms.core.idempotency import idempotent_call
from oms.core.serializers import StrictFieldsMixin
from oms.packages.services import package_command_run
from oms.transitions.models import CommandSource


class CommandRequestSerializer(StrictFieldsMixin, serializers.Serializer):
    # CharField refuses NUL characters and lone surrogates itself.
    slug = serializers.CharField(required=False, max_length=128)
    transition = serializers.IntegerField(required=False, min_value=1, max_value=BIGINT_MAX)
    input_parameters = serializers.JSONField(required=False, default=dict)

    def validate_input_parameters(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("input_parameters must be a JSON object, e.g. {}.")
        # A refused command is recorded with its input_parameters, so they must be storable.
        found = unstorable_character(value, "input_parameters")
        if found is not None:
            character, where = found
            what = "a NUL character" if character == "\x00" else "a lone surrogate"
            raise serializers.ValidationError(
                f"input_parameters cannot hold {what} (U+{ord(character):04X}) at {where}: "
                "OMS cannot store it."
            )
        return value

    def validate(self, attrs):
        if "slug" not in attrs and "transition" not in attrs:
            raise serializers.ValidationError(
                {"slug": ["Send the command's 'slug' (or the 'transition' id)."]}
            )
        return attrs


class PackageCommandApi(APIView):
    """Run a command on a package (e.g. `CHANNEL_BASED_COMPLETE_PACKAGING`). 204 on success."""

    @extend_schema(
        request=CommandRequestSerializer,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                required=False,
                description="Repeat a request safely: the same key returns the first answer.",
            )
        ],
        responses={204: OpenApiResponse(description="The command ran.")},
    )
    def post(self, request, pk: int):
        serializer = CommandRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data

        def run() -> Response:
            package_command_run(
                package_id=pk,
                slug=data.get("slug"),
                transition_id=data.get("transition"),
                input_parameters=data.get("input_parameters") or {},
                actor=request.user,
                source=CommandSource.API,
                now=timezone.now(),
            )
            return Response(status=status.HTTP_204_NO_CONTENT)

        return idempotent_call(request=request, scope=f"package:{pk}:command", body=request.data, call=run)
