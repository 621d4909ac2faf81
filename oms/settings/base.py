"""OMS settings, read from the environment with safe defaults (see README, "Environment")."""

from pathlib import Path

import dj_database_url

from oms.settings.broker import EMBEDDED_PREFIX, embedded_broker_connector
from oms.settings.env import (
    data_dir,
    env_bool,
    env_int,
    env_list,
    env_str,
    secret_key,
)

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = data_dir()

SECRET_KEY = secret_key(DATA_DIR)
DEBUG = env_bool("OMS_DEBUG", False)
ALLOWED_HOSTS = env_list("OMS_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("OMS_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "oms.core",
    "oms.configuration",
    "oms.channels",
    "oms.shipments",
    "oms.orders",
    "oms.packages",
    "oms.transitions",
    "oms.omnitron",
    "oms.events",
    "oms.operations",
    "oms.dashboard",
]

# Django's own, except that API calls with a token header skip what only browsers use (sessions,
# the session user, messages, the frame header): see oms/middleware.py.
MIDDLEWARE = [
    "oms.core.middleware.BodySizeLimitMiddleware",
    "oms.core.middleware.RequestBudgetMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "oms.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "oms.middleware.AuthenticationMiddleware",
    "oms.middleware.MessageMiddleware",
    "oms.middleware.XFrameOptionsMiddleware",
]

# The largest request body accepted (bytes); a longer one is answered 413 in the error envelope
# before anything reads it. Django's own form-data limit is kept the same.
OMS_MAX_BODY_BYTES = env_int("OMS_MAX_BODY_BYTES", 2_621_440, minimum=1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = OMS_MAX_BODY_BYTES

ROOT_URLCONF = "oms.urls"
WSGI_APPLICATION = "oms.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def _database() -> dict:
    # Persistent connections on every backend: a web worker keeps its connection across requests
    # (seconds; 0 closes it after each request), so connecting and the SQLite PRAGMAs below happen
    # once per connection, not once per request. Celery closes connections around each task itself.
    # A connection found broken at the start of a request is replaced (CONN_HEALTH_CHECKS).
    persistent = {
        "CONN_MAX_AGE": env_int("OMS_DB_CONN_MAX_AGE", 600, minimum=0),
        "CONN_HEALTH_CHECKS": True,
    }
    url = env_str("DATABASE_URL")
    if url:
        return {**dj_database_url.parse(url), **persistent}
    return {
        **persistent,
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(DATA_DIR / "oms.sqlite3"),
        "OPTIONS": {
            # One writer at a time, taken at BEGIN: no "database is locked" upgrades mid-transaction.
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
    }


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

LOGIN_URL = "admin:login"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "oms.core.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "oms.core.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["oms.core.filters.StrictFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "oms.core.errors.exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "oms.core.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    # Login (POST auth/login/) is throttled per user name and per client address (429 + Retry-After).
    "DEFAULT_THROTTLE_RATES": {
        "login-username": env_str("OMS_LOGIN_RATE_PER_USERNAME", "10/min"),
        "login-address": env_str("OMS_LOGIN_RATE_PER_ADDRESS", "30/min"),
    },
    # The client address is REMOTE_ADDR unless OMS runs behind this many trusted proxies, whose
    # X-Forwarded-For then names it; never a header a client can set by itself.
    "NUM_PROXIES": env_int("OMS_NUM_PROXIES", 0, minimum=0),
}

# The default cache is per process; throttle counts are shared by the web processes through files
# in the data directory (mode 0600).
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "throttle": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(DATA_DIR / "throttle"),
    },
}

SPECTACULAR_SETTINGS = {
    "TITLE": "OMS API",
    "DESCRIPTION": "Order management for marketplace orders arriving through Omnitron.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its docs are for logged-in users (token or admin session), like the API.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Celery: a message is only a wake-up; pending work lives in database rows.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or f"sqla+sqlite:///{DATA_DIR / 'broker.sqlite3'}"
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
if CELERY_BROKER_URL.startswith(EMBEDDED_PREFIX):
    # kombu's SQLAlchemy transport hands every transport option to create_engine(): only engine
    # arguments belong here. It polls once a second and has no visibility timeout. Its file is in
    # WAL mode: a wake-up is sent without syncing the disk (see oms/settings/broker.py).
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {"creator": embedded_broker_connector(CELERY_BROKER_URL)}
elif CELERY_BROKER_URL.startswith("sqla+"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {}
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env_int("OMS_BROKER_VISIBILITY_TIMEOUT", 600),
        "polling_interval": 0.5,
    }
# Several deployments (or test runs) may share one Redis: each consumes only its own queue.
CELERY_TASK_DEFAULT_QUEUE = env_str("OMS_CELERY_QUEUE", "celery")
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")

OMS_HEARTBEAT_SECONDS = env_int("OMS_HEARTBEAT_SECONDS", 30)
# Periodic tasks run by the one beat (`celery worker -B` under `oms serve`). Every task here must
# be idempotent: a restart may run one stale tick, and a second beat after a failover runs it twice.
OMS_SHIPMENT_STATUS_POLL_SECONDS = env_int("OMS_SHIPMENT_STATUS_POLL_SECONDS", 60)
OMS_ORDER_RECONCILIATION_SECONDS = env_int("OMS_ORDER_RECONCILIATION_SECONDS", 300)
OMS_REPORT_DELIVERY_SECONDS = env_int("OMS_REPORT_DELIVERY_SECONDS", 30)
OMS_CATALOGUE_SYNC_SECONDS = env_int("OMS_CATALOGUE_SYNC_SECONDS", 3600)


def _periodic(task: str, seconds: int, **extra) -> dict:
    # A tick nobody ran in time is worthless: no backlog builds up while workers are down.
    return {"task": task, "schedule": seconds, "options": {"expires": seconds}, **extra}


CELERY_BEAT_SCHEDULE = {
    "heartbeat": _periodic("oms.core.tasks.heartbeat", OMS_HEARTBEAT_SECONDS, kwargs={"source": "beat"}),
    "resolve-shipment-statuses": _periodic(
        "oms.shipments.tasks.resolve_shipment_statuses", OMS_SHIPMENT_STATUS_POLL_SECONDS
    ),
    # The wake-up after commit usually sends a report at once; this takes retries and lost wake-ups.
    "deliver-reports": _periodic("oms.omnitron.tasks.deliver_reports", OMS_REPORT_DELIVERY_SECONDS),
    "reconcile-orders": _periodic("oms.orders.tasks.reconcile_orders", OMS_ORDER_RECONCILIATION_SECONDS),
    "sync-channels": _periodic("oms.channels.tasks.sync_channels", OMS_CATALOGUE_SYNC_SECONDS),
    "sync-cargo-companies": _periodic(
        "oms.shipments.cargo_companies.sync_cargo_companies", OMS_CATALOGUE_SYNC_SECONDS
    ),
    # Outbound webhooks: the wake-up after commit sends at once; this takes retries and lost wake-ups.
    "deliver-events": _periodic(
        "oms.events.tasks.deliver_events", env_int("OMS_WEBHOOK_DELIVERY_SECONDS", 15)
    ),
}

OMNITRON_URL = env_str("OMNITRON_URL").rstrip("/")
OMNITRON_USERNAME = env_str("OMNITRON_USERNAME")
OMNITRON_PASSWORD = env_str("OMNITRON_PASSWORD")
# How the Omnitron client retries (connect errors, timeouts, 429, 5xx) before giving up on a call.
OMNITRON_CLIENT_OPTIONS: dict[str, float] = {
    "connect_timeout": env_int("OMNITRON_CONNECT_TIMEOUT", 5),
    "read_timeout": env_int("OMNITRON_READ_TIMEOUT", 15),
    "max_attempts": env_int("OMNITRON_MAX_ATTEMPTS", 4),
    # The most one call may take in all (attempts, backoff and Retry-After waits) in background work.
    "deadline": env_int("OMNITRON_TASK_DEADLINE_SECONDS", 120, minimum=1),
}
# The time budget of one HTTP request for its Omnitron calls, all together: well under gunicorn's
# --timeout of 60 s (oms serve), so a slow Omnitron answers 503 with Retry-After, not a killed worker.
OMNITRON_REQUEST_DEADLINE_SECONDS = env_int("OMNITRON_REQUEST_DEADLINE_SECONDS", 20, minimum=1)
# Refuse (raise) an Omnitron call made inside a database transaction: on in tests and with DEBUG.
OMNITRON_REFUSE_CALLS_IN_TRANSACTION = env_bool("OMNITRON_REFUSE_CALLS_IN_TRANSACTION", DEBUG)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "filters": {"as_warning": {"()": "oms.core.log_filters.AsWarningWithoutTraceback"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("OMS_LOG_LEVEL", "INFO")},
    "loggers": {
        # A bad Host header is answered 400; one warning line says so, without a traceback.
        "django.security.DisallowedHost": {"filters": ["as_warning"]},
        "django.db.backends": {"level": "WARNING"},
        # One line per HTTP call is too much; the Omnitron client logs retries and failures itself.
        "httpx": {"level": "WARNING"},
    },
}

if not DEBUG:
    SESSION_COOKIE_HTTPONLY = True
    X_FRAME_OPTIONS = "DENY"
    SECURE_CONTENT_TYPE_NOSNIFF = True

# Shipment status resolution: bounds of the per-shipment check interval, and when to give up.
OMS_TRACKING_MIN_INTERVAL_SECONDS = env_int("OMS_TRACKING_MIN_INTERVAL_SECONDS", 300)
OMS_TRACKING_MAX_INTERVAL_SECONDS = env_int("OMS_TRACKING_MAX_INTERVAL_SECONDS", 6 * 3600)
OMS_TRACKING_STALE_AFTER_DAYS = env_int("OMS_TRACKING_STALE_AFTER_DAYS", 30)
OMS_TRACKING_BATCH_SIZE = env_int("OMS_TRACKING_BATCH_SIZE", 500)
# Delivered shipments stay followed this long, on the slowest schedule, so a refund (600) is seen.
OMS_RETURN_WINDOW_DAYS = env_int("OMS_RETURN_WINDOW_DAYS", 30, minimum=0)
# Claimed rows are hidden from other workers this long; rows a worker claimed and never finished (it
# was killed) are taken by another run once the lease ends. Keep it above the time one batch takes.
OMS_TRACKING_CLAIM_LEASE_SECONDS = env_int("OMS_TRACKING_CLAIM_LEASE_SECONDS", 300, minimum=1)
# A report's lease must outlast one send with all its retries: with the default client settings,
# up to 4 attempts of 5 s connect + 15 s read, a login each and the backoff between (about 3 min).
OMS_REPORT_CLAIM_LEASE_SECONDS = env_int("OMS_REPORT_CLAIM_LEASE_SECONDS", 300, minimum=1)
# A resolution batch Omnitron failed is retried after this (plus up to half again, as jitter);
# this many failed batches in a row open the circuit breaker, which pauses resolution for the
# cool-down, doubling with each further failure up to the maximum, until a probe succeeds.
OMS_TRACKING_FAILURE_RETRY_SECONDS = env_int("OMS_TRACKING_FAILURE_RETRY_SECONDS", 120, minimum=1)
OMS_TRACKING_BREAKER_THRESHOLD = env_int("OMS_TRACKING_BREAKER_THRESHOLD", 3, minimum=1)
OMS_TRACKING_BREAKER_COOL_DOWN_SECONDS = env_int("OMS_TRACKING_BREAKER_COOL_DOWN_SECONDS", 60, minimum=1)
OMS_TRACKING_BREAKER_COOL_DOWN_MAX_SECONDS = env_int(
    "OMS_TRACKING_BREAKER_COOL_DOWN_MAX_SECONDS", 15 * 60, minimum=1
)

# Outbound webhooks (oms/events). Plain HTTP and private, loopback, link-local or metadata targets are
# refused unless this is on (local development and tests only).
OMS_WEBHOOKS_ALLOW_PRIVATE_TARGETS = env_bool("OMS_WEBHOOKS_ALLOW_PRIVATE_TARGETS", False)
# Claimed event rows stay hidden from other workers this long (well above one batch's time).
OMS_WEBHOOK_CLAIM_LEASE_SECONDS = env_int("OMS_WEBHOOK_CLAIM_LEASE_SECONDS", 300, minimum=1)
# Time one subscription may take per delivery round before the others get their turn.
OMS_WEBHOOK_SUBSCRIPTION_BUDGET_SECONDS = env_int("OMS_WEBHOOK_SUBSCRIPTION_BUDGET_SECONDS", 10, minimum=1)
# Failed attempts in a row that open a subscription's breaker; its cool-down doubles up to the max.
OMS_WEBHOOK_BREAKER_THRESHOLD = env_int("OMS_WEBHOOK_BREAKER_THRESHOLD", 5, minimum=1)
OMS_WEBHOOK_BREAKER_COOL_DOWN_SECONDS = env_int("OMS_WEBHOOK_BREAKER_COOL_DOWN_SECONDS", 30, minimum=1)
OMS_WEBHOOK_BREAKER_COOL_DOWN_MAX_SECONDS = env_int(
    "OMS_WEBHOOK_BREAKER_COOL_DOWN_MAX_SECONDS", 600, minimum=1
)

# A cap on resolution's reads from Omnitron (`id__in` requests per minute), shared by every worker
# through a counter in the database. 0: no cap, and batches hold due shipments only. Above 0, every
# request is filled up to OMS_TRACKING_BATCH_SIZE: due shipments first, then those most likely to
# have moved (see oms.shipments.resolution.schedule.fill_priority), until the minute's reads are spent.
OMS_OMNITRON_READS_PER_MINUTE = env_int("OMS_OMNITRON_READS_PER_MINUTE", 0, minimum=0)
