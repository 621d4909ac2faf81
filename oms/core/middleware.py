"""Request guards that answer before any view reads the request."""

from django.conf import settings
from django.http import JsonResponse

from oms.core.errors import NON_FIELD


def body_too_big_message(length: int | None, limit: int) -> str:
    size = f"{length} bytes" if length is not None else "over the limit"
    return (
        f"The body is {size}; the limit is {limit} bytes (OMS_MAX_BODY_BYTES). "
        "Send a smaller body, e.g. one order per request."
    )


class BodySizeLimitMiddleware:
    """Refuse a body longer than OMS_MAX_BODY_BYTES with 413 in the error envelope, unread.

    The declared Content-Length decides; Django reads no more than it declares, so a body cannot be
    longer than that.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.OMS_MAX_BODY_BYTES
        raw = request.META.get("CONTENT_LENGTH") or "0"
        try:
            length = int(raw)
        except ValueError:
            return _refuse({NON_FIELD: [f"Content-Length {raw[:40]!r} is not a number of bytes."]}, 400)
        if length > limit:
            return _refuse({NON_FIELD: [body_too_big_message(length, limit)]}, 413)
        return self.get_response(request)


def _refuse(errors: dict, status_code: int) -> JsonResponse:
    response = JsonResponse({"error": errors, "status_code": status_code}, status=status_code)
    # The body was not read: the connection cannot be reused for another request.
    response["Connection"] = "close"
    return response
