"""Settings read from the environment (django-environ).

Embedded defaults need no server: SQLite under ``var/`` and Celery's filesystem
broker under ``var/broker``. Production sets ``DATABASE_URL`` (PostgreSQL),
``CELERY_BROKER_URL`` (Redis), ``DJANGO_SECRET_KEY``, ``DJANGO_DEBUG=0`` and
``ALLOWED_HOSTS``.
"""

from datetime import date, timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(environ.Env().str("JIT_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off "
            "(make run sets DJANGO_DEBUG=1 and a local key for you)."
        )
    SECRET_KEY = "insecure-local-development-key-do-not-use-in-production"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "import_export",
    "axes",
    "jobs",
    "bulk",
    "items",
    "suppliers",
    "replenishment",
    "portal",
    "demo",
]

MIDDLEWARE = [
    "inventory_site.observability.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
]

ROOT_URLCONF = "inventory_site.urls"
WSGI_APPLICATION = "inventory_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
            # One filter library for every figure (inventory_site.formatting);
            # "inventory" and "purchasing" are its former names.
            "libraries": {
                "formatting": "inventory_site.templatetags.formatting",
                "inventory": "inventory_site.templatetags.formatting",
                "purchasing": "inventory_site.templatetags.formatting",
            },
        },
    },
]

# --- Database -------------------------------------------------------------
DATABASES = {
    "default": env.db_url(
        "DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'jit_inventory.sqlite3'}"
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent writers (web + worker) need IMMEDIATE transactions and WAL,
    # otherwise SQLite answers "database is locked" under load.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    # Persistent connections only where the number of threads is bounded: the
    # gunicorn config (gunicorn.conf.py) sets CONN_MAX_AGE=60 for its workers. The
    # development server starts a thread per request, and each thread would keep
    # its own connection open ("too many clients"), so the default is 0.
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", 0))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (locks for nightly jobs live here) -------------------------------
CACHES = {
    "default": env.cache_url("CACHE_URL", default="dbcache://jit_cache_table"),
}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # Redis down or hanging: pages work without the cache (short timeouts, a
    # circuit breaker) and locks refuse to run; see inventory_site.cache.
    CACHES["default"]["BACKEND"] = "inventory_site.cache.ResilientRedisCache"
    CACHES["default"].setdefault("OPTIONS", {}).update(
        {
            "socket_connect_timeout": env.float("CACHE_SOCKET_TIMEOUT", default=0.5),
            "socket_timeout": env.float("CACHE_SOCKET_TIMEOUT", default=0.5),
            "retry_seconds": env.float("CACHE_RETRY_SECONDS", default=5.0),
        }
    )

# --- Auth -----------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation."
        "UserAttributeSimilarityValidator"
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # lockout after repeated failures
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Reverse proxies in front of the web processes that append the client's address
# to X-Forwarded-For. 0 (the default): the header is ignored and the client is
# REMOTE_ADDR, so a client cannot pick its own address (a new one per request)
# to escape the login lockout or the token throttle. Both use the same rule
# (inventory_site.http.client_ip and DRF's NUM_PROXIES).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "inventory_site.http.client_ip"
AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXY_COUNT  # only read if django-ipware is installed
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "overview"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = True  # 30-minute idle timeout

# --- I18N / time ------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Berlin")
USE_I18N = True
USE_TZ = True

# --- Static files -------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# --- Security (production values when DEBUG is off) ---------------------------
# Content-Security-Policy: no inline scripts or styles anywhere; a per-request
# nonce is available ({{ request.csp_nonce }}) for the rare page that needs one.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# --- REST API -------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: anonymous API calls get 401 with WWW-Authenticate.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "inventory_site.api_pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PARSER_CLASSES": [
        "inventory_site.api_parsers.JSONParser",  # refuses deep nesting with 400
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.ScopedRateThrottle"],
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "DEFAULT_THROTTLE_RATES": {"token": env.str("API_TOKEN_RATE", default="10/min")},
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "inventory_site.api_errors.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "JIT Inventory API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # policy and policy_override share one choice set: one enum in the schema.
    "ENUM_NAME_OVERRIDES": {
        "PolicyEnum": "items.models.Policy",
        "BacktestStatusEnum": "replenishment.models.BacktestStatus",
        # risk_level, performance_level and dependency_level share one choice set
        "RiskLevelEnum": "suppliers.models.RiskLevel",
    },
}

# --- django-import-export --------------------------------------------------------
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = True
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "import"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "export"
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True
# The admin's dry-run preview keeps the file between preview and confirm in the
# cache (shared by every web process and machine), not in one machine's /tmp.
# While the cache is unreachable it is kept on the web machine's disk instead.
IMPORT_EXPORT_TMP_STORAGE_CLASS = "inventory_site.cache.ImportTmpStorage"
# The import/export resources by the name `import_data` and `export_data` take
# (bulk finds them here, as Celery beat finds tasks: by dotted path).
BULK_RESOURCES = {
    "items": "items.resources.ItemResource",
    "suppliers": "suppliers.resources.SupplierResource",
    "sources": "suppliers.resources.SourceResource",
    "deliveries": "suppliers.resources.DeliveryResource",
    "movements": "items.resources.MovementResource",
    "demand": "items.resources.PlannedDemandResource",
}
# Admin imports: files larger than this are refused (use `manage.py import_data`);
# files with more rows than IMPORT_BACKGROUND_ROWS are imported by a Celery worker
# (bulk.services) while the admin watches a progress page.
IMPORT_MAX_UPLOAD_BYTES = env.int("IMPORT_MAX_UPLOAD_BYTES", default=50 * 1024 * 1024)
IMPORT_BACKGROUND_ROWS = env.int("IMPORT_BACKGROUND_ROWS", default=5000)
# Every import (command, admin, background): at most this many rows after the
# header, and an .xlsx whose members unpack to more than this is refused before it
# is opened (a zip bomb); both are checked before any row is validated.
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=1_000_000)
IMPORT_MAX_XLSX_UNPACKED_BYTES = env.int(
    "IMPORT_MAX_XLSX_UNPACKED_BYTES", default=512 * 1024 * 1024
)
IMPORT_ERRORS_KEPT = 1000  # errors stored per background run (all are counted)
# An item's unit cost above this × the catalogue's median is a warning line.
IMPORT_UNIT_COST_OUTLIER_FACTOR = env.int("IMPORT_UNIT_COST_OUTLIER_FACTOR", 1000)
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Celery -------------------------------------------------------------------------
# Nightly jobs (replenishment.tasks) nest their limits: a task is killed by its time
# limit before its lock expires, and the lock expires before Redis would hand an
# unacknowledged (acks_late) message to another worker, so a redelivery or a second
# beat never overlaps a run that is still going:
#   task time limit (1 h) < lock expiry (1 h 1 min) < broker visibility timeout (4 h).
# The lock expires with the time limit (plus a minute): a holder killed outright
# (SIGKILL, a lost machine) blocks the next run no longer than a live one could.
# manage.py reclassify and suggest take the same locks and keep the same limit.
NIGHTLY_TASK_TIME_LIMIT = env.int("NIGHTLY_TASK_TIME_LIMIT", default=60 * 60)
NIGHTLY_TASK_SOFT_TIME_LIMIT = NIGHTLY_TASK_TIME_LIMIT - min(
    5 * 60, NIGHTLY_TASK_TIME_LIMIT // 4
)  # time to clean up
NIGHTLY_LOCK_EXPIRY = env.int(
    "NIGHTLY_LOCK_EXPIRY", default=NIGHTLY_TASK_TIME_LIMIT + 60
)
BROKER_VISIBILITY_TIMEOUT = env.int("BROKER_VISIBILITY_TIMEOUT", default=4 * 60 * 60)
if not NIGHTLY_TASK_TIME_LIMIT < NIGHTLY_LOCK_EXPIRY < BROKER_VISIBILITY_TIMEOUT:
    raise ImproperlyConfigured(
        "Nightly limits must nest: task time limit < lock expiry < visibility timeout."
    )

BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("queue", "processed", "control"):
        (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),  # else ./control in the cwd
        "store_processed": False,
    }
else:
    # Fail fast when Redis is down: requests never wait on the broker (the jobs
    # outbox resends later, see jobs.services).
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": BROKER_VISIBILITY_TIMEOUT,
        # How often workers look for messages a dead worker left unacknowledged
        # (about interval × throttle seconds).
        "unacked_restore_interval": env.int("BROKER_RESTORE_INTERVAL", default=10),
        "unacked_restore_throttle": env.int("BROKER_RESTORE_THROTTLE", default=10),
        "socket_connect_timeout": 1,
        "socket_timeout": 5,
    }
# Web requests that talk to the broker (jobs outbox, /healthz) wait at most this
# long per attempt, once (inventory_site.celery.request_connection).
BROKER_REQUEST_TIMEOUT = env.float("BROKER_REQUEST_TIMEOUT", default=1.0)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# Every night at 02:00 site time (CELERY_TIMEZONE): reclassify ABC/XYZ, then refresh
# supplier scores, then regenerate suggestions (a chain; see replenishment.tasks).
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    "nightly-planning": {
        "task": "replenishment.tasks.nightly_planning_task",
        "schedule": crontab(hour=2, minute=0),
    },
    # Jobs that could not be sent while the broker was down (jobs outbox).
    "jobs-flush": {"task": "jobs.tasks.jobs_flush_task", "schedule": 60.0},
}

# Suggestions are planned in chunks of this many items; one Celery task plans
# this many chunks in a row (each chunk's reads run while the one before is
# planned: replenishment.generation.suggestions_generate_ranges).
SUGGESTION_CHUNK_SIZE = env.int("SUGGESTION_CHUNK_SIZE", default=1000)
SUGGESTION_TASK_CHUNKS = env.int("SUGGESTION_TASK_CHUNKS", default=10)

# --- Domain settings ----------------------------------------------------------------
ABC_A_THRESHOLD_PERCENT = env.int("ABC_A_THRESHOLD_PERCENT", default=80)
ABC_B_THRESHOLD_PERCENT = env.int("ABC_B_THRESHOLD_PERCENT", default=95)
# XYZ: coefficient of variation of weekly demand; X <= 0.5 < Y <= 1.0 < Z.
XYZ_X_MAX_CV = env.str("XYZ_X_MAX_CV", default="0.5")
XYZ_Y_MAX_CV = env.str("XYZ_Y_MAX_CV", default="1.0")
XYZ_MIN_WEEKS = env.int("XYZ_MIN_WEEKS", default=8)  # less history: unknown
XYZ_MAX_WEEKS = env.int("XYZ_MAX_WEEKS", default=52)

# Plausible dates (inventory_site.dates): nothing before DATE_MIN; movements,
# orders and receipts at most CLOCK_SKEW_MINUTES ahead of the clock; promised
# dates at most DATE_MAX_FUTURE_DAYS ahead.
DATE_MIN = date.fromisoformat(env.str("DATE_MIN", default="2000-01-01"))
DATE_MAX_FUTURE_DAYS = env.int("DATE_MAX_FUTURE_DAYS", default=366)
CLOCK_SKEW_MINUTES = env.int("CLOCK_SKEW_MINUTES", default=10)

# --- Purchase orders (DESIGN §5) -----------------------------------------------------
# Receiving more than ordered × (1 + tolerance) on a line is refused.
RECEIPT_OVER_TOLERANCE = env.str("RECEIPT_OVER_TOLERANCE", default="0.10")
# Units counted in whole numbers: quantities of such items must be integers.
WHOLE_UNITS = env.list(
    "WHOLE_UNITS", default=["ea", "pc", "pcs", "piece", "pair", "set", "box", "pack"]
)
CURRENCY = env.str("CURRENCY", default="EUR")
COMPANY_NAME = env.str("COMPANY_NAME", default="JIT Inventory Demo GmbH")
# Lines separated by "\n" (or newlines) in the environment.
COMPANY_ADDRESS = env.str(
    "COMPANY_ADDRESS", default="Hafenstraße 1\n20457 Hamburg\nGermany"
).replace("\\n", "\n")
# Purchase orders are e-mailed through Django's e-mail framework: by default into
# files under var/mail/ (one .log file per message); SMTP in production.
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND", default="django.core.mail.backends.filebased.EmailBackend"
)
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=587)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=True)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="purchasing@localhost")
PURCHASE_ORDER_REPLY_TO = env.list("PURCHASE_ORDER_REPLY_TO", default=[])

# --- Supplier portal (portal/) ------------------------------------------------------
# Portal links are printed and returned as absolute URLs on this address.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
PORTAL_LINK_DAYS = env.int("PORTAL_LINK_DAYS", default=90)
# Unknown, expired or revoked portal tokens per client address and minute before
# the portal answers 429 to that address for the rest of the minute.
PORTAL_BAD_TOKEN_LIMIT = env.int("PORTAL_BAD_TOKEN_LIMIT", default=20)
# Who is e-mailed about a supplier's change to an order when neither the buyer
# who placed it nor the one who drafted it has an address (comma-separated).
PORTAL_ALERT_EMAILS = env.list("PORTAL_ALERT_EMAILS", default=[])

# --- Demo -----------------------------------------------------------------------------
DEMO_PASSWORD = env.str("DEMO_PASSWORD", default="")

LOG_FORMAT = env.str("LOG_FORMAT", default="json")  # "json" or "plain"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "inventory_site.observability.RequestIdFilter"},
        "portal_tokens": {"()": "portal.logging.PortalTokenFilter"},
    },
    "formatters": {
        "json": {"()": "inventory_site.observability.JsonFormatter"},
        "plain": {
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id", "portal_tokens"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}},  # not a line per start-up
}
