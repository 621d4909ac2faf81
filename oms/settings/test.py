"""Test settings: the base settings with a throwaway key and fast password hashing."""

import os
import tempfile

os.environ.setdefault("OMS_SECRET_KEY", "test-only-secret-key-not-for-production-use-000000")
os.environ.setdefault("OMS_DATA_DIR", tempfile.mkdtemp(prefix="oms-test-"))

from oms.settings.base import *  # noqa: F403
from oms.settings.base import DATABASES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The test database is a file, so that server processes started by tests share it.
    DATABASES["default"]["TEST"] = {"NAME": os.path.join(os.environ["OMS_DATA_DIR"], "test.sqlite3")}

# Every test fails on an Omnitron call made inside a database transaction.
OMNITRON_REFUSE_CALLS_IN_TRANSACTION = True

# Retries in tests: the same attempts, without waiting seconds between them.
OMNITRON_CLIENT_OPTIONS = {
    "connect_timeout": 2,
    "read_timeout": 5,
    "max_attempts": 4,
    "backoff_base": 0.01,
    "backoff_max": 0.05,
}

# Tests log in often: the throttles stay on with rates no test reaches (tests/hostile lowers them).
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": {"login-username": "100000/min", "login-address": "100000/min"},
}
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "throttle": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "throttle"},
}
