"""Django's browser middleware, skipped for API calls that bring their own token.

Sessions, the session user, flash messages and the X-Frame-Options header serve the admin, the
dashboard and the browsable API. A client that sends `Authorization: Token …` to `/api/` uses none
of them: DRF authenticates it by the token alone and never falls back to the session (a wrong token
is a 401). Each class here is Django's own, passing such a call straight on; every other request
gets Django's behaviour unchanged. They are subclasses, so Django's checks still find them.
"""

from typing import TYPE_CHECKING, cast

from django.contrib.auth.middleware import AuthenticationMiddleware as DjangoAuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware as DjangoMessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.http import HttpRequest, HttpResponseBase
from django.middleware.clickjacking import XFrameOptionsMiddleware as DjangoXFrameOptionsMiddleware

API_PREFIX = "/api/"
TOKEN_KEYWORD = "Token "


def token_api_call(request: HttpRequest) -> bool:
    """An API call authenticated by a token header: it needs no session, messages or frame header."""
    return request.path_info.startswith(API_PREFIX) and request.META.get("HTTP_AUTHORIZATION", "").startswith(
        TOKEN_KEYWORD
    )


if TYPE_CHECKING:
    from django.utils.deprecation import MiddlewareMixin

    _Base = MiddlewareMixin
else:
    _Base = object


class BrowserOnly(_Base):
    """Mixin for a Django middleware class: token API calls skip it. Synchronous only (OMS is
    served over WSGI); Django adapts it if it is ever served over ASGI."""

    sync_capable = True
    async_capable = False

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if token_api_call(request):
            return cast(HttpResponseBase, self.get_response(request))
        response = super().__call__(request)
        assert isinstance(response, HttpResponseBase)  # synchronous: never an awaitable here
        return response


class SessionMiddleware(BrowserOnly, DjangoSessionMiddleware):
    pass


class AuthenticationMiddleware(BrowserOnly, DjangoAuthenticationMiddleware):
    pass


class MessageMiddleware(BrowserOnly, DjangoMessageMiddleware):
    pass


class XFrameOptionsMiddleware(BrowserOnly, DjangoXFrameOptionsMiddleware):
    pass
