"""Settings of the bare floor: only what Django and DRF need to answer one JSON request."""

import secrets

SECRET_KEY = secrets.token_urlsafe(40)  # signs nothing: no sessions, no cookies
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["rest_framework"]
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "bench.floor.urls"
DATABASES: dict = {}
USE_TZ = True
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    # No django.contrib.auth: an unauthenticated request's user is None, not AnonymousUser.
    "UNAUTHENTICATED_USER": None,
}
