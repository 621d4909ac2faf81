"""`Authorization: Token <key>` against OMS's hashed API tokens."""

from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from oms.core.tokens import api_token_find, api_token_mark_used

KEYWORD = "Token"


class ApiTokenAuthentication(BaseAuthentication):
    """Finds the token by the digest of the key sent: one indexed query, no stored key compared."""

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                "Invalid token header: send exactly 'Authorization: Token <key>'."
            )
        try:
            key = parts[1].decode("ascii")
        except UnicodeError:
            raise exceptions.AuthenticationFailed("Invalid token: a key is ASCII text.") from None
        token = api_token_find(key=key)
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        api_token_mark_used(token=token, now=timezone.now())
        return token.user, token

    def authenticate_header(self, request) -> str:
        return KEYWORD
