"""Every setting of the portal, read from the environment in one place (django-environ).

Defaults are the *embedded* ones: SQLite, a local folder for bundles, a Celery broker that needs no
server (kombu's filesystem transport), and loopback addresses allowed for outbound HTTP. Setting
``PORTAL_ENV=production`` switches to the hardened profile, which refuses to start without its
secrets and passes ``manage.py check --deploy``.
"""

from __future__ import annotations

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A developer may keep overrides in a .env file next to manage.py; the environment wins.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

PORTAL_ENV = env.str("PORTAL_ENV", default="development")
if PORTAL_ENV not in {"development", "production", "test"}:
    raise ImproperlyConfigured(
        f"PORTAL_ENV must be development, production or test, not {PORTAL_ENV!r}"
    )
PRODUCTION = PORTAL_ENV == "production"

# Where the embedded defaults keep their state (database, bundles, broker, keys, host servers).
VAR_DIR = Path(env.str("PORTAL_VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DEBUG", default=not PRODUCTION)

if PRODUCTION:
    try:
        SECRET_KEY = env.str("SECRET_KEY")
    except ImproperlyConfigured as exc:
        raise ImproperlyConfigured("SECRET_KEY must be set when PORTAL_ENV=production") from exc
    if len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters in production")
else:
    SECRET_KEY = env.str(
        "SECRET_KEY", default="dev-only-insecure-key-do-not-use-in-production-0123456789"
    )

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# The portal's own public base URL: download links and the host servers' default MarketplaceURL
# are built from it.
PORT = env.int("PORT", default=8000)
PORTAL_BASE_URL = env.str("PORTAL_BASE_URL", default=f"http://127.0.0.1:{PORT}").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    # The project package itself, for its management commands (load_demo, check_worker) and the
    # worker ping task; it owns no models.
    "portal",
    "common",
    "marketplace",
    "hostserver",
    "certification",
    "frontend",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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

# --- Database --------------------------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A fresh clone has no var/ folder yet, and SQLite does not create folders.
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # Several processes (web, worker, beat, supervisor) share the file: wait for locks instead
    # of failing, and take the write lock at BEGIN so that select_for_update-style sections
    # serialise cleanly.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 30, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, broker, Celery -------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {"visibility_timeout": 3600}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }
    # kombu's filesystem transport: a real broker that needs no server, shared by every process
    # of one machine through a folder.
    _broker_dir = VAR_DIR / "broker"
    # The host part is meaningless for this transport; naming one keeps kombu from warning.
    CELERY_BROKER_URL = "filesystem://localhost//"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        # Broadcast/pidbox exchanges; kombu's default is ./control in the working directory.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=30 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=25 * 60)
CELERY_TASK_DEFAULT_QUEUE = "default"
# Queues: "default" for quick work (notifications, transitions' follow-ups), "builds" for pulls
# and deployments, "scans" for semgrep/bandit which are CPU-heavy.
CELERY_TASK_ROUTES = {
    "certification.tasks.nightly_*": {"queue": "builds"},
    "certification.tasks.deploy_*": {"queue": "builds"},
    "certification.tasks.scan_*": {"queue": "scans"},
}
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "UTC"
# The nightly pull of every active submission's build, at this UTC time (HH:MM).
NIGHTLY_PULL_TIME = env.str("NIGHTLY_PULL_TIME", default="02:30")

# --- Storage ---------------------------------------------------------------------------------
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "/media/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATIC_URL = "/static/"
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
            "access_key": env.str("AWS_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default="") or None,
            "addressing_style": env.str("AWS_S3_ADDRESSING_STYLE", default="path"),
            "default_acl": None,
            "file_overwrite": False,
            "querystring_auth": False,
        },
    }
else:
    _default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT)},
    }
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage",
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Signing ---------------------------------------------------------------------------------
# The portal's OpenPGP signing key lives in its own GnuPG home, never the user's.
PORTAL_GNUPG_HOME = Path(env.str("PORTAL_GNUPG_HOME", default=str(VAR_DIR / "gnupg")))
PORTAL_SIGNING_KEY_NAME = env.str("PORTAL_SIGNING_KEY_NAME", default="Plugin Portal Signing Key")
PORTAL_SIGNING_KEY_EMAIL = env.str(
    "PORTAL_SIGNING_KEY_EMAIL", default="signing@plugin-portal.invalid"
)

# --- Outbound HTTP ---------------------------------------------------------------------------
# Private and loopback addresses are refused in production and allowed for development and
# tests, where every service lives on 127.0.0.1.
OUTBOUND_ALLOW_PRIVATE_ADDRESSES = env.bool(
    "OUTBOUND_ALLOW_PRIVATE_ADDRESSES", default=not PRODUCTION
)
# Hosts, IP addresses and CIDR ranges reachable even when private addresses are refused (like
# Mattermost's AllowedUntrustedInternalConnections), e.g. "mm.internal,10.20.0.0/16".
OUTBOUND_ALLOWED_ADDRESSES = env.list("OUTBOUND_ALLOWED_ADDRESSES", default=[])
OUTBOUND_TIMEOUT_SECONDS = env.float("OUTBOUND_TIMEOUT_SECONDS", default=30.0)
OUTBOUND_MAX_DOWNLOAD_BYTES = env.int("OUTBOUND_MAX_DOWNLOAD_BYTES", default=200 * 1024 * 1024)
# Extra CA certificates (PEM file) trusted for outbound https, e.g. an internal CA that signs
# a private Mattermost server's certificate; certifi's and the system's CAs are always trusted.
OUTBOUND_CA_BUNDLE = env.str("OUTBOUND_CA_BUNDLE", default="")

# --- Host servers ----------------------------------------------------------------------------
HOSTSERVER_ROOT = Path(env.str("HOSTSERVER_ROOT", default=str(VAR_DIR / "hostservers")))
HOSTSERVER_DEFAULT_NAMES = env.list(
    "HOSTSERVER_DEFAULT_NAMES", default=["ci-extensions", "ci-extensions-release", "community"]
)
HOSTSERVER_SERVER_VERSION = env.str("HOSTSERVER_SERVER_VERSION", default="10.5.0")
# Base URL the portal uses to reach its own embedded host servers over HTTP.
HOSTSERVER_BASE_URL = env.str("HOSTSERVER_BASE_URL", default=PORTAL_BASE_URL).rstrip("/")
# Plugin supervisor (hostserver.runtime), in seconds: reconcile pass interval, time a plugin has
# to print its go-plugin handshake (Mattermost: 3), health-check interval (Mattermost: 30).
HOSTSERVER_SUPERVISOR_INTERVAL = env.float("HOSTSERVER_SUPERVISOR_INTERVAL", default=0.5)
HOSTSERVER_SUPERVISOR_HANDSHAKE_TIMEOUT = env.float(
    "HOSTSERVER_SUPERVISOR_HANDSHAKE_TIMEOUT", default=3.0
)
HOSTSERVER_SUPERVISOR_HEALTH_INTERVAL = env.float(
    "HOSTSERVER_SUPERVISOR_HEALTH_INTERVAL", default=30.0
)

# --- Certification ---------------------------------------------------------------------------
STARTER_TEMPLATE_FINGERPRINTS = env.str(
    "STARTER_TEMPLATE_FINGERPRINTS", default=str(VAR_DIR / "starter-template.json")
)
MATTERMOST_WEBHOOK_URL = env.str("MATTERMOST_WEBHOOK_URL", default="")
# How people hear about state changes: dotted paths of certification.notifications.Notifier.
CERTIFICATION_NOTIFIERS = env.list(
    "CERTIFICATION_NOTIFIERS",
    default=[
        "certification.notifications.EmailNotifier",
        "certification.notifications.MattermostWebhookNotifier",
    ],
)
# The portal's deployer account on the host servers (a portal admin = system admin there):
# a personal access token, or a username and password to log in with.
CERTIFICATION_DEPLOY_TOKEN = env.str("CERTIFICATION_DEPLOY_TOKEN", default="")
CERTIFICATION_DEPLOY_USERNAME = env.str("CERTIFICATION_DEPLOY_USERNAME", default="portal-deployer")
CERTIFICATION_DEPLOY_PASSWORD = env.str(
    "CERTIFICATION_DEPLOY_PASSWORD", default="" if PRODUCTION else "deployer-dev-password-0xC3"
)
CERTIFICATION_PLUGIN_START_TIMEOUT = env.float("CERTIFICATION_PLUGIN_START_TIMEOUT", default=60.0)
CERTIFICATION_NIGHTLY_MAX_BYTES = env.int("CERTIFICATION_NIGHTLY_MAX_BYTES", default=100 * 2**20)
CERTIFICATION_NIGHTLY_TIMEOUT = env.float("CERTIFICATION_NIGHTLY_TIMEOUT", default=120.0)
# Cloning file:// and http:// git URLs is for development and tests only.
CERTIFICATION_GIT_ALLOW_LOCAL = env.bool("CERTIFICATION_GIT_ALLOW_LOCAL", default=not PRODUCTION)

# --- Email -----------------------------------------------------------------------------------
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="Plugin Portal <portal@plugin-portal.invalid>"
)

# --- Auth ------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

# --- DRF and OpenAPI -------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_ANON_RATE", default="600/minute"),
        "user": env.str("API_USER_RATE", default="3000/minute"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Plugin Portal API",
    "DESCRIPTION": "Catalog of Mattermost plugins and their certification pipeline.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI and Redoc come from the drf-spectacular-sidecar package, served by whitenoise:
    # no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One schema name per choice set, so clients get stable enum names instead of hashed ones.
    "ENUM_NAME_OVERRIDES": {
        "SubmissionStatusEnum": "certification.workflow.Status",
        "JobStatusEnum": "certification.models.JobStatus",
        "BuildStatusEnum": "certification.models.BuildStatus",
    },
}

# --- I18N, logging ---------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # httpx logs every request line at INFO, query strings (tokens) included; python-gnupg
        # warns on every refused signature, which common.signing already reports clearly.
        "httpx": {"level": "WARNING"},
        "gnupg": {"level": "ERROR"},
    },
}

# --- Production hardening --------------------------------------------------------------------
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
