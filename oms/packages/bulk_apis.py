"""`POST packages/bulk-command/`: one command on up to 500 packages, one result each."""

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from oms.core.db import BIGINT_MAX
from oms.core.idempotency import idempotent_call
from oms.packages.bulk import BULK_COMMAND_LIMIT, BulkOutcome, package_bulk_command_run
from oms.packages.command_apis import CommandRequestSerializer
from oms.transitions.models import CommandSource


class BulkCommandRequestSerializer(CommandRequestSerializer):
    packages = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=BIGINT_MAX),
        allow_empty=False,
        max_length=BULK_COMMAND_LIMIT,
        help_text=f"Package ids, at most {BULK_COMMAND_LIMIT}, each once; results come in this order.",
        error_messages={
            "not_a_list": "Send 'packages' as a list of package ids, e.g. [1, 2, 3].",
            "empty": "Send at least one package id in 'packages'.",
            "max_length": f"At most {BULK_COMMAND_LIMIT} packages per request; split them into several "
            "requests.",
        },
    )

    def validate_packages(self, value: list[int]) -> list[int]:
        seen: set[int] = set()
        repeated = []
        for pk in value:
            if pk in seen:
                repeated.append(pk)
            seen.add(pk)
        if repeated:
            listed = ", ".join(str(pk) for pk in dict.fromkeys(repeated))
            raise serializers.ValidationError(f"Each package may appear once; repeated: {listed}.")
        return value


def _result(outcome: BulkOutcome) -> dict:
    if outcome.done:
        return {"package": outcome.package_id, "status": "done"}
    return {
        "package": outcome.package_id,
        "status": "refused",
        "error": outcome.errors,
        "status_code": outcome.status_code,
    }


_RESULTS = inline_serializer(
    "BulkCommandResult",
    many=True,
    fields={
        "package": serializers.IntegerField(),
        "status": serializers.ChoiceField(choices=["done", "refused"]),
        "error": serializers.DictField(
            required=False, help_text="When refused: the error a single command on it answers."
        ),
        "status_code": serializers.IntegerField(
            required=False, help_text="When refused: the status a single command on it answers."
        ),
    },
)


class PackageBulkCommandApi(APIView):
    """Run one command (e.g. `CHANNEL_BASED_COMPLETE_PACKAGING`) on many packages.

    Each package runs as a single command would, on its own: a refused package changes nothing and
    undoes nothing of the others. The answer is 200 with one result per package, in request order.
    """

    @extend_schema(
        request=BulkCommandRequestSerializer,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                required=False,
                description="Repeat the whole request safely: the same key returns the first answer.",
            )
        ],
        responses={
            200: OpenApiResponse(
                response=inline_serializer(
                    "BulkCommandResponse",
                    {
                        "done": serializers.IntegerField(),
                        "refused": serializers.IntegerField(),
                        "results": _RESULTS,
                    },
                ),
                description="One result per package, in request order.",
            ),
            400: OpenApiResponse(description="The request itself is wrong (packages, slug, input)."),
        },
    )
    def post(self, request):
        serializer = BulkCommandRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data

        def run() -> Response:
            outcomes = package_bulk_command_run(
                package_ids=data["packages"],
                slug=data.get("slug"),
                transition_id=data.get("transition"),
                input_parameters=data.get("input_parameters") or {},
                actor=request.user,
                source=CommandSource.BULK,
                now=timezone.now(),
            )
            done = sum(outcome.done for outcome in outcomes)
            return Response(
                {"done": done, "refused": len(outcomes) - done, "results": [_result(o) for o in outcomes]}
            )

        return idempotent_call(request=request, scope="packages:bulk-command", body=request.data, call=run)
