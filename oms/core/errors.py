"""Errors: domain exceptions and the API's single error envelope.

Every API error is `{"error": {"<field or non_field_errors>": ["message", ...]}, "status_code": N}`.
"""

import logging

from django.core.exceptions import PermissionDenied, RequestDataTooBig, TooManyFieldsSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.views.defaults import page_not_found as django_page_not_found
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)

NON_FIELD = "non_field_errors"


class DomainError(Exception):
    """An anticipated failure with a message the caller can act on (answered with 400)."""

    status_code: int = status.HTTP_400_BAD_REQUEST

    def __init__(self, message: str | dict, *, field: str = NON_FIELD):
        if isinstance(message, dict):
            self.errors = {key: _as_list(value) for key, value in message.items()}
        else:
            self.errors = {field: [message]}
        super().__init__(str(message))


class NotFoundError(DomainError):
    """The thing asked for does not exist (answered with 404)."""

    status_code = status.HTTP_404_NOT_FOUND


class ConflictError(DomainError):
    status_code = status.HTTP_409_CONFLICT


class ServiceUnavailable(DomainError):
    """A dependency (Omnitron) is unavailable: the caller should retry later."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE

    def __init__(self, message: str, *, retry_after: int = 30):
        super().__init__(message)
        self.retry_after = retry_after


def _as_list(value) -> list:
    if isinstance(value, list | tuple):
        return [str(v) if not isinstance(v, dict | list) else v for v in value]
    if isinstance(value, dict):
        return [value]
    return [str(value)]


def _normalise(detail) -> dict:
    if isinstance(detail, dict):
        return {
            key: (_normalise(value) if isinstance(value, dict) else _as_list(value))
            for key, value in detail.items()
        }
    if isinstance(detail, list):
        return {NON_FIELD: [str(v) if not isinstance(v, dict | list) else v for v in detail]}
    return {NON_FIELD: [str(detail)]}


def envelope(
    errors: dict, status_code: int, headers: dict | None = None, *, retry_after: int | None = None
) -> Response:
    body: dict = {"error": errors, "status_code": status_code}
    if retry_after is not None:
        # Also in the body, for clients that do not read headers: seconds to wait before retrying.
        body["retry_after"] = retry_after
    return Response(body, status=status_code, headers=headers)


def exception_handler(exc, context):
    """DRF exception handler that answers every error in the contract's envelope."""
    if isinstance(exc, DomainError):
        if isinstance(exc, ServiceUnavailable):
            retry_after = exc.retry_after
            headers = {"Retry-After": str(retry_after)}
            return envelope(exc.errors, exc.status_code, headers, retry_after=retry_after)
        return envelope(exc.errors, exc.status_code, {})
    if isinstance(exc, RequestDataTooBig):
        # Bodies over the limit are refused by BodySizeLimitMiddleware; this is a form read past it.
        return envelope({NON_FIELD: [str(exc) or "The body is too large."]}, 413)
    if isinstance(exc, TooManyFieldsSent):
        return envelope({NON_FIELD: [str(exc)]}, status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoValidationError):
        messages = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        exc = exceptions.ValidationError(messages)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound("Not found: no such object. Check the id in the URL.")
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        logger.exception("Unhandled error in %s", context.get("view").__class__.__name__)
        return envelope(
            {NON_FIELD: ["Internal error. It has been logged; retry, and report it if it persists."]},
            status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    detail = exc.detail if isinstance(exc, exceptions.APIException) else response.data
    hint = _hint(exc, context)
    if hint:
        detail = {NON_FIELD: [f"{_sentence(exc.detail)} {hint}"]}
    response.data = {"error": _normalise(detail), "status_code": response.status_code}
    return response


def _sentence(text) -> str:
    text = str(text).strip()
    return text if text.endswith((".", "!", "?")) else f"{text}."


def _hint(exc: Exception, context: dict) -> str:
    """What to do about a transport-level error DRF describes only as what went wrong."""
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        return "Log in with POST /api/v1/oms/auth/login/ and send 'Authorization: Token <key>'."
    if isinstance(exc, exceptions.Throttled):
        return "Too many attempts for this user name or from this address; retry after Retry-After seconds."
    if isinstance(exc, exceptions.ParseError):
        return "Send a valid JSON object as the body, with 'Content-Type: application/json'."
    if isinstance(exc, exceptions.UnsupportedMediaType):
        return "Send the body as JSON, with 'Content-Type: application/json'."
    if isinstance(exc, exceptions.MethodNotAllowed):
        view = context.get("view")
        allowed = [m for m in getattr(view, "allowed_methods", []) if m not in ("HEAD", "OPTIONS")]
        if allowed:
            return f"This URL accepts: {', '.join(allowed)}."
    return ""


def page_not_found(request, exception=None):
    """Django's 404 handler: under /api/ the contract's JSON envelope, elsewhere Django's page."""
    if request.path_info.startswith("/api/"):
        body = {
            "error": {
                NON_FIELD: [
                    f"There is no API endpoint at {request.path_info}. The endpoints are listed at "
                    "/api/v1/oms/ and described at /api/docs/; paths end with a slash."
                ]
            },
            "status_code": 404,
        }
        return JsonResponse(body, status=404)
    return django_page_not_found(request, exception)
