from django.contrib.auth import authenticate
from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from oms.core.serializers import StrictFieldsMixin
from oms.core.throttles import LoginAddressThrottle, LoginUsernameThrottle
from oms.core.tokens import api_token_create


class LoginSerializer(StrictFieldsMixin, serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(trim_whitespace=False, style={"input_type": "password"})


class LoginApi(APIView):
    """Exchange a username and password for an API token (`Authorization: Token <key>`)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [LoginAddressThrottle, LoginUsernameThrottle]

    @extend_schema(
        request=LoginSerializer,
        responses=inline_serializer("LoginResponse", {"key": serializers.CharField()}),
    )
    def post(self, request):
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(
            request,
            username=serializer.validated_data["username"],
            password=serializer.validated_data["password"],
        )
        if user is None or not user.is_active:
            raise serializers.ValidationError(
                {
                    "non_field_errors": [
                        "Wrong username or password. Check both and retry; an administrator can "
                        "reset a password with `oms changepassword <username>`."
                    ]
                }
            )
        # Keys are stored hashed, so an existing one cannot be handed out again: each login
        # issues a new token (revoke old ones in the admin, API tokens).
        issued = api_token_create(user=user, now=timezone.now())
        return Response({"key": issued.key})
