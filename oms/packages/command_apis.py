import re
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from oms.core.idempotency import idempotent_call
from oms.core.serializers import StrictFieldsMixin
from oms.packages.services import package_command_run

# The largest id a bigint column holds; a larger one cannot even be looked up.
MAX_ID = 2**63 - 1
# Characters no database column holds: NUL (PostgreSQL text and jsonb refuse it) and lone surrogates
# (from a JSON "\ud800" escape; not UTF-8).
_UNSTORABLE_CHARACTER = re.compile("[\x00\ud800-\udfff]")


def _unstorable_text(value: Any, path: str) -> str | None:
    """What unstorable character a key or string of a JSON value holds, and where; or None."""
    pending = [(value, path)]
    while pending:
        value, path = pending.pop()
        texts: list[tuple[str, str]] = []
        if isinstance(value, str):
            texts = [(value, path)]
        elif isinstance(value, dict):
            texts = [(str(key), f"the key {key!r} of {path}") for key in value]
            pending.extend((item, f"{path}.{key}") for key, item in value.items())
        elif isinstance(value, list):
            pending.extend((item, f"{path}[{index}]") for index, item in enumerate(value))
        for text, where in texts:
            found = _UNSTORABLE_CHARACTER.search(text)
            if found is not None:
                what = "a NUL character" if found.group() == "\x00" else "a lone surrogate"
                return f"{what} (U+{ord(found.group()):04X}) at {where}"
    return None


class CommandRequestSerializer(StrictFieldsMixin, serializers.Serializer):
    # CharField refuses NUL characters and lone surrogates itself.
    slug = serializers.CharField(required=False, max_length=128)
    transition = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    input_parameters = serializers.JSONField(required=False, default=dict)

    def validate_input_parameters(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("input_parameters must be a JSON object, e.g. {}.")
        # A refused command is recorded with its input_parameters, so they must be storable.
        found = _unstorable_text(value, "input_parameters")
        if found is not None:
            raise serializers.ValidationError(f"input_parameters cannot hold {found}: OMS cannot store it.")
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
                now=timezone.now(),
            )
            return Response(status=status.HTTP_204_NO_CONTENT)

        return idempotent_call(request=request, scope=f"package:{pk}:command", body=request.data, call=run)
