"""Shipping labels as PDF: one package's, or many in one file for the printer."""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.views import APIView

from oms.core.db import BIGINT_MAX
from oms.core.errors import DomainError, NotFoundError
from oms.packages.labels import LABELS_LIMIT, labels_pdf, package_labels_get


class PdfRenderer(BaseRenderer):
    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


class _LabelApi(APIView):
    # `Accept: application/pdf` is honoured; errors are answered in the JSON envelope all the same.
    renderer_classes = [JSONRenderer, PdfRenderer]

    def finalize_response(self, request, response, *args, **kwargs):
        if response.status_code >= 400:
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)


_PDF = OpenApiResponse(response=OpenApiTypes.BINARY, description="A PDF, one 100 x 150 mm page per label.")


def _ids_parse(raw: str | None) -> list[int]:
    if not raw:
        raise DomainError("Send the package ids to print, e.g. ?ids=1,2,3.", field="ids")
    ids: list[int] = []
    for part in raw.split(","):
        part = part.strip()
        if not part.isdigit() or not 1 <= int(part) <= 2**63 - 1:
            raise DomainError(
                f"'{part}' is not a package id: send ids as whole numbers, e.g. ?ids=1,2,3.", field="ids"
            )
        ids.append(int(part))
    if len(ids) > LABELS_LIMIT:
        raise DomainError(
            f"At most {LABELS_LIMIT} labels per request; {len(ids)} were asked for.", field="ids"
        )
    return list(dict.fromkeys(ids))


def _query_check(request, allowed: set[str]) -> None:
    unknown = sorted(set(request.query_params) - allowed - {"format"})
    if unknown:
        valid = ", ".join(sorted(allowed | {"format"}))
        raise DomainError(
            {name: [f"Unknown query parameter '{name}'. This URL takes: {valid}."] for name in unknown}
        )


class PackageLabelApi(_LabelApi):
    """The shipping label of a packed package (its shipment's tracking number as a Code 128 barcode)."""

    @extend_schema(
        responses={(200, "application/pdf"): _PDF, 400: OpenApiResponse(description="Not packed yet.")}
    )
    def get(self, request, pk: int):
        _query_check(request, set())
        if not 1 <= int(pk) <= BIGINT_MAX:  # beyond any id a database holds
            raise NotFoundError(f"There is no package with id {pk}.")
        (label,) = package_labels_get(package_ids=[pk])
        return _pdf(labels_pdf([label]), f"label-{label.package_number}.pdf")


class PackageLabelsApi(_LabelApi):
    """The labels of many packed packages in one PDF, in the order of `ids`."""

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "ids", str, required=True, description=f"Comma-separated package ids, at most {LABELS_LIMIT}."
            )
        ],
        responses={
            (200, "application/pdf"): _PDF,
            400: OpenApiResponse(description="Unknown or unpacked ids."),
        },
    )
    def get(self, request):
        _query_check(request, {"ids"})
        ids = _ids_parse(request.query_params.get("ids"))
        return _pdf(labels_pdf(package_labels_get(package_ids=ids)), f"labels-{len(ids)}.pdf")
