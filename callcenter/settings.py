"""The one settings module: every value comes from the environment, with safe development defaults.

With no DATABASE_URL the platform runs on SQLite; with no REDIS_URL Channels uses the in-memory
layer and Celery runs tasks in-process, so a newcomer needs nothing but Python.
"""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from callcenter.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

# --- Core -------------------------------------------------------------------------------------
DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is false.")
    # Only reachable with DEBUG on, so a forgotten key can never reach production.
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"  # noqa: S105
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "callcenter",
    "agents",
    "tickets",
    "telephony",
    "qa",
    "kpi",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "callcenter.middleware.UserPreferenceMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "callcenter.urls"
WSGI_APPLICATION = "callcenter.wsgi.application"
ASGI_APPLICATION = "callcenter.asgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "callcenter.context_processors.navigation",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------
# PostgreSQL when DATABASE_URL is set; otherwise a SQLite file in var/ in WAL mode so the
# server, the embedded beat thread and the simulator can read while one of them writes.
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0), conn_health_checks=True
        )
    }
    if env_bool("DATABASE_POOL", False):
        # Under ASGI persistent connections leak across threads; a psycopg pool is the safe reuse.
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": 2,
            "max_size": env_int("DATABASE_POOL_MAX", 20),
            # With the database gone a request waits this long for a connection, then answers 503
            # (psycopg's default, 30 s, held every request that long, one after another). Connections
            # the database dropped are discarded when taken, by Django's conn_health_checks.
            "timeout": env_int("DATABASE_POOL_TIMEOUT", 5),
        }
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "callcenter.sqlite3",
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }

# --- Redis: channel layer, Celery broker, cache -------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
CHANNEL_PREFIX = env_str("CHANNEL_PREFIX", "callcenter")
if REDIS_URL:
    # The pub/sub layer does not drop broadcasts when one client is slow (DESIGN §6).
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": CHANNEL_PREFIX},
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CHANNEL_PREFIX,
            # One pool per process: Django's per-request cache objects each opened a connection.
            "OPTIONS": {"pool_class": "callcenter.cache.SharedConnectionPool"},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery -----------------------------------------------------------------------------------
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
# Without a broker there is no worker: tasks run inside the calling process (the server).
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
# A message taken by a worker that died without acknowledging it (the whole worker killed) is
# handed out again after this long: keep it above the longest task (a day's rollup: seconds).
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT_S", 3600)}
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "callcenter")
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "UTC"
# Defaults for the beat schedule; django-celery-beat copies them into the database, where admins
# can change intervals or pause entries in Django admin.
CELERY_BEAT_SCHEDULE = {
    "worker-heartbeat": {"task": "callcenter.tasks.heartbeat", "schedule": 30.0},
    "callbacks-sweep": {"task": "tickets.tasks.callbacks_sweep", "schedule": 30.0},
    "sla-scan": {"task": "tickets.tasks.sla_scan", "schedule": 60.0},
    "qa-sampling": {"task": "qa.tasks.sample_calls", "schedule": 600.0},
    # KPI rollups: closed 15-minute intervals, stale ones (late events), and each local day once it
    # has ended (hourly, so "after midnight" holds in any TIME_ZONE); then the daily e-mail report.
    "kpi-rollup-intervals": {"task": "kpi.tasks.rollup_intervals", "schedule": crontab(minute="1-59/15")},
    "kpi-rollup-stale": {"task": "kpi.tasks.rollup_stale", "schedule": 60.0},
    "kpi-rollup-days": {"task": "kpi.tasks.rollup_days", "schedule": crontab(minute=5)},
    "kpi-daily-report": {"task": "kpi.tasks.daily_report", "schedule": crontab(minute=20)},
    "kpi-long-waits": {"task": "kpi.tasks.long_waits", "schedule": 30.0},
    # Data care: recordings and customers' personal data past their retention (daily, at night).
    "data-retention": {"task": "callcenter.tasks.retention_purge", "schedule": crontab(hour=3, minute=30)},
}
# When there is no Redis, the launcher asks the server process to tick the beat schedule itself.
EMBEDDED_BEAT = env_bool("EMBEDDED_BEAT", False)

# --- Data retention (callcenter.retention): days; unset or 0 keeps forever ---------------------
RETENTION_RECORDINGS_DAYS = env_int("RETENTION_RECORDINGS_DAYS", 0)
RETENTION_CUSTOMER_PII_DAYS = env_int("RETENTION_CUSTOMER_PII_DAYS", 0)
for _name in ("RETENTION_RECORDINGS_DAYS", "RETENTION_CUSTOMER_PII_DAYS"):
    if globals()[_name] < 0:
        raise ImproperlyConfigured(f"{_name} must be 0 (keep forever) or a number of days.")

# --- Auth -------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Tests create thousands of users; the real hashers cost ~0.4 s each on purpose. `make test` sets
# FAST_PASSWORD_HASHING=true for itself and its subprocess servers; production refuses it.
FAST_PASSWORD_HASHING = env_bool("FAST_PASSWORD_HASHING", False)
if FAST_PASSWORD_HASHING:
    if env_bool("HTTPS", False):
        raise ImproperlyConfigured("FAST_PASSWORD_HASHING is for tests only; unset it in production.")
    PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
# Same answers as ModelBackend; a user's permissions in one query, not two (every request checks one).
AUTHENTICATION_BACKENDS = ["callcenter.auth_backends.ModelBackendOneQuery"]
# Sessions read from the cache (Redis; in-process on the embedded stack), written through to the
# database: every browser request reads its session, and a cache hit costs no query.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Login rate limiting (callcenter/throttle.py): failures remembered, and lockouts lasting, this long.
LOGIN_FAILURES_PER_ACCOUNT = env_int("LOGIN_FAILURES_PER_ACCOUNT", 5)
LOGIN_FAILURES_PER_ADDRESS = env_int("LOGIN_FAILURES_PER_ADDRESS", 30)
LOGIN_LOCKOUT_S = env_int("LOGIN_LOCKOUT_S", 900)

# --- Languages, time zone, calendars, phone numbers -------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fa", _("Persian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
# The database keeps UTC; pages show times in the call center's own zone.
TIME_ZONE = env_str("TIME_ZONE", "UTC")
try:
    ZoneInfo(TIME_ZONE)
except (ZoneInfoNotFoundError, ValueError):
    raise ImproperlyConfigured(f"TIME_ZONE={TIME_ZONE!r} is not an IANA time zone.") from None
# The feed source whose ACD takes the agent desktop's commands (answer, hold, pause, dial…).
ACD_SOURCE = env_str("ACD_SOURCE", "simulator")
DEFAULT_REGION = env_str("DEFAULT_REGION", "US").upper()
if len(DEFAULT_REGION) != 2 or not DEFAULT_REGION.isalpha():
    raise ImproperlyConfigured(f"DEFAULT_REGION={DEFAULT_REGION!r} is not a two-letter country code.")

# --- Static files -----------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed names need collectstatic, which `make run`, `make test` and the image all do.
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))

# A feed batch is up to 5,000 events; allow the body, then the API checks the count (413).
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 16 * 1024 * 1024)

# --- Uploads (recordings, customer CSV imports): refused with 413 past these ---------------------
RECORDING_UPLOAD_MAX_BYTES = env_int("RECORDING_UPLOAD_MAX_BYTES", 50 * 1024 * 1024)
CUSTOMER_IMPORT_MAX_BYTES = env_int("CUSTOMER_IMPORT_MAX_BYTES", 5 * 1024 * 1024)
CUSTOMER_IMPORT_MAX_ROWS = env_int("CUSTOMER_IMPORT_MAX_ROWS", 10_000)

# --- REST API ---------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate header makes anonymous API calls 401, not 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "callcenter.errors.api_exception_handler",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "callcenter API",
    "DESCRIPTION": "CRM, ticketing, telephony feed, QA and KPI APIs of the callcenter platform.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a "status" or "state" field; name each choice set so they do not collide.
    "ENUM_NAME_OVERRIDES": {
        "TicketStatusEnum": "tickets.models.Status",
        "QaEvaluationStatusEnum": "qa.models.EvaluationStatus",
        "QaCoachingStatusEnum": "qa.models.CoachingStatus",
    },
}

# --- Security ---------------------------------------------------------------------------------
# HTTPS=true is the production switch: redirect to TLS, secure cookies, HSTS.
HTTPS = env_bool("HTTPS", False)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", HTTPS)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
BEHIND_PROXY = env_bool("BEHIND_PROXY", False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Health checks from the load balancer come over plain HTTP on the internal network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# --- E-mail -----------------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "callcenter@localhost")

# --- Logging ----------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
