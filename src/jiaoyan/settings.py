"""Settings of Jiaoyan.

Everything that differs between machines comes from environment variables (DESIGN.md
"Contracts"): DATABASE_URL, SECRET_KEY, DEBUG, ALLOWED_HOSTS, MEDIA_ROOT and the storage
settings. With none of them set, the embedded setup runs: SQLite under ``var/``, a secret
key generated once into ``var/secret_key``, files under ``var/media``.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF

PACKAGE_DIR = Path(__file__).resolve().parent


def _project_root() -> Path:
    """The checkout (where pyproject.toml is) when run from one, else the working dir."""
    candidate = PACKAGE_DIR.parent.parent
    if (candidate / "pyproject.toml").exists():
        return candidate
    return Path.cwd()


ROOT_DIR = _project_root()
VAR_DIR = Path(os.environ.get("JIAOYAN_VAR_DIR", ROOT_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once and kept under var/."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG")
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_filters",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "csp",
    "ninja",
    "jiaoyan.core",
    "jiaoyan.orgs",
    "jiaoyan.people",
    "jiaoyan.hours",
    "jiaoyan.activities",
    "jiaoyan.quality",
    "jiaoyan.observations",
    "jiaoyan.ledger",
    "jiaoyan.pairing",
    "jiaoyan.communities",
    "jiaoyan.training",
    "jiaoyan.resources",
    "jiaoyan.projects",
    "jiaoyan.outcomes",
    "jiaoyan.wellbeing",
    "jiaoyan.researchers",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "jiaoyan.core.middleware.RequestIdMiddleware",
    "jiaoyan.core.ops.MetricsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before the CSRF check, which reads the body: permission, then size (core/uploads.py).
    "jiaoyan.core.uploads.UploadGuardMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "jiaoyan.core.middleware.LanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    # Last: its process_view runs a marked view's reads on the replica (core/dbrouter.py).
    "jiaoyan.core.dbrouter.ReplicaMiddleware",
]

ROOT_URLCONF = "jiaoyan.urls"
# Django's renderer, with <select> lists written in Python (same HTML, much faster).
FORM_RENDERER = "jiaoyan.core.forms.FastSelectRenderer"
WSGI_APPLICATION = "jiaoyan.wsgi.application"
ASGI_APPLICATION = "jiaoyan.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "jiaoyan.core.context_processors.shell",
            ],
            "builtins": [
                "django.templatetags.i18n",
                "django.templatetags.static",
                "jiaoyan.core.templatetags.links",
                "jiaoyan.core.templatetags.cards",
            ],
        },
    }
]


# --- database ------------------------------------------------------------------------

SQLITE_OPTIONS = {
    # WAL lets the web process read while the task worker writes; IMMEDIATE takes the
    # write lock at BEGIN so two writers queue instead of failing half-way.
    "init_command": (
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        "PRAGMA cache_size=-64000; PRAGMA temp_store=MEMORY; PRAGMA mmap_size=268435456;"
    ),
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
}


def database_config(url: str | None) -> dict:
    if not url:
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "jiaoyan.sqlite3",
            "OPTIONS": dict(SQLITE_OPTIONS),
            "TEST": {"NAME": None},
        }
    config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["OPTIONS"] = dict(SQLITE_OPTIONS)
        config["CONN_MAX_AGE"] = 0
    return config


DATABASES = {"default": database_config(os.environ.get("DATABASE_URL"))}
# A streaming replica of the primary (PostgreSQL): reports, statistics and exports read from
# it while it lags less than REPLICA_MAX_LAG seconds; a browser that wrote within
# REPLICA_PIN_SECONDS reads the primary (jiaoyan/core/dbrouter.py). In tests the alias
# mirrors the primary; the replica tests point it at the real replica themselves.
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = database_config(os.environ["DATABASE_REPLICA_URL"])
    DATABASES["replica"]["OPTIONS"] = {
        **DATABASES["replica"].get("OPTIONS", {}),
        "connect_timeout": 2,
    }
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["jiaoyan.core.dbrouter.ReplicaRouter"]
REPLICA_MAX_LAG = float(os.environ.get("REPLICA_MAX_LAG", 10))
REPLICA_PIN_SECONDS = int(os.environ.get("REPLICA_PIN_SECONDS", 30))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


# --- accounts and security -----------------------------------------------------------

AUTH_USER_MODEL = "people.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
CSRF_FAILURE_VIEW = "jiaoyan.core.views.csrf_failure"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Lock-out after repeated failed log-ins (django-axes): 5 failures of one username from
# one address lock that pair for 15 minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# Beyond that pair (jiaoyan.people.login_limits): past LOGIN_ACCOUNT_FREE_FAILURES failures
# of one account in the window, from any address, each attempt waits a delay doubling up to
# LOGIN_ACCOUNT_MAX_DELAY seconds (browsers that logged in to the account before are not
# delayed); one address with more than LOGIN_ADDRESS_FAILURES failures is refused.
LOGIN_LIMIT_WINDOW = int(os.environ.get("LOGIN_LIMIT_WINDOW", 15 * 60))
LOGIN_ACCOUNT_FREE_FAILURES = int(os.environ.get("LOGIN_ACCOUNT_FREE_FAILURES", 10))
LOGIN_ACCOUNT_MAX_DELAY = int(os.environ.get("LOGIN_ACCOUNT_MAX_DELAY", 60))
LOGIN_ADDRESS_FAILURES = int(os.environ.get("LOGIN_ADDRESS_FAILURES", 100))
LOGIN_DEVICE_DAYS = int(os.environ.get("LOGIN_DEVICE_DAYS", 180))

# The audit log is kept forever unless AUDIT_KEEP_DAYS is set; then a daily job deletes
# older rows. 等保三级 asks for at least six months, so a shorter setting is refused.
AUDIT_KEEP_DAYS = int(os.environ.get("AUDIT_KEEP_DAYS", 0))
AUDIT_MIN_KEEP_DAYS = 183
if 0 < AUDIT_KEEP_DAYS < AUDIT_MIN_KEEP_DAYS:
    raise RuntimeError(
        f"AUDIT_KEEP_DAYS={AUDIT_KEEP_DAYS}: the audit log must be kept at least "
        f"{AUDIT_MIN_KEEP_DAYS} days (six months); leave it unset to keep it forever."
    )

# /metrics is answered only to these networks (a Prometheus on the host or in the cluster).
METRICS_ALLOWED = [
    n.strip()
    for n in os.environ.get("METRICS_ALLOWED", "127.0.0.1/32,::1/128").split(",")
    if n.strip()
]

SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", 8 * 3600))
SESSION_SAVE_EVERY_REQUEST = False
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
# Served over HTTPS (HTTPS=1, or an https:// origin in CSRF_TRUSTED_ORIGINS) and not in
# DEBUG: cookies are sent over HTTPS only and browsers are told to keep to HTTPS (HSTS, one
# year) unless the environment says otherwise.
HTTPS = env_bool("HTTPS", any(o.startswith("https://") for o in CSRF_TRUSTED_ORIGINS))
_SECURE_BY_DEFAULT = HTTPS and not DEBUG
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", _SECURE_BY_DEFAULT)
CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", _SECURE_BY_DEFAULT)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT")
SECURE_HSTS_SECONDS = int(
    os.environ.get("SECURE_HSTS_SECONDS", 365 * 24 * 3600 if _SECURE_BY_DEFAULT else 0)
)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# A client's address (core.middleware.client_ip, also the log-in lock-out's): REMOTE_ADDR,
# or BEHIND_PROXY the address the proxy appended to X-Forwarded-For (PROXY_COUNT proxies).
BEHIND_PROXY = env_bool("BEHIND_PROXY")
PROXY_COUNT = int(os.environ.get("PROXY_COUNT", 1))
AXES_CLIENT_IP_CALLABLE = "jiaoyan.core.middleware.client_ip"
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        # Tabler and ECharts set element styles; no inline script is ever allowed.
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}


# --- language and time ---------------------------------------------------------------

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("zh-hant", "繁體中文"), ("en", "English")]
LOCALE_PATHS: list = []  # each app keeps its own catalogue in <app>/locale/
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True


# --- files ---------------------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# The site's address as people reach it: printed on documents (a certificate's QR code).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")

# Keys of the encrypted fields (core/crypto.py): "id:key[,id:key]", the first current.
# Unset: the embedded setup keeps them in var/field_keys (see docs/deploy.md).
FIELD_ENCRYPTION_KEYS = os.environ.get("FIELD_ENCRYPTION_KEYS", "")
# A TrueType font with Chinese glyphs for PDF documents (core/pdf.py finds
# fonts-wqy-microhei when this is empty).
JIAOYAN_CJK_FONT = os.environ.get("JIAOYAN_CJK_FONT", "")
# Public verification of certificate codes: attempts per address per minute.
CERTIFICATE_VERIFY_PER_MINUTE = int(os.environ.get("CERTIFICATE_VERIFY_PER_MINUTE", 30))
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 50 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 5000
IMPORT_MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES", 60 * 1024 * 1024))
# The most bytes of one uploaded file, per kind of upload (core/uploads.py refuses more
# while the body streams in, after the permission check): spreadsheets to import,
# attachments of progress reports, activity materials (slides, videos).
UPLOAD_LIMITS = {
    "sheet": IMPORT_MAX_BYTES,
    "attachment": int(os.environ.get("UPLOAD_MAX_ATTACHMENT_BYTES", 20 * 1024 * 1024)),
    "material": int(os.environ.get("UPLOAD_MAX_MATERIAL_BYTES", 200 * 1024 * 1024)),
    # One file of a library resource: the largest of RESOURCE_FILE_LIMITS (a video).
    "resource": int(os.environ.get("UPLOAD_MAX_RESOURCE_BYTES", 500 * 1024 * 1024)),
    # One file of an outcome (成果): typed like a resource's file, within the same limits.
    "outcome": int(os.environ.get("UPLOAD_MAX_OUTCOME_BYTES", 500 * 1024 * 1024)),
}
# A library resource's file, per type of content (sniffed, not by its name).
RESOURCE_FILE_LIMITS = {
    "document": int(os.environ.get("RESOURCE_MAX_DOCUMENT_BYTES", 50 * 1024 * 1024)),
    "slides": int(os.environ.get("RESOURCE_MAX_SLIDES_BYTES", 100 * 1024 * 1024)),
    "spreadsheet": int(os.environ.get("RESOURCE_MAX_SPREADSHEET_BYTES", 20 * 1024 * 1024)),
    "image": int(os.environ.get("RESOURCE_MAX_IMAGE_BYTES", 20 * 1024 * 1024)),
    "audio": int(os.environ.get("RESOURCE_MAX_AUDIO_BYTES", 100 * 1024 * 1024)),
    "video": int(os.environ.get("RESOURCE_MAX_VIDEO_BYTES", 500 * 1024 * 1024)),
}
# One uploaded sheet: rows and columns that hold values, and what its reader (a child
# process, see core/sheetreader.py) may use before the file is refused.
IMPORT_MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", 200_000))
IMPORT_MAX_COLUMNS = int(os.environ.get("IMPORT_MAX_COLUMNS", 2_000))
IMPORT_READER_MEMORY_MB = int(os.environ.get("IMPORT_READER_MEMORY_MB", 3_072))
IMPORT_READER_SECONDS = int(os.environ.get("IMPORT_READER_SECONDS", 180))

# A failed or rejected import of restricted data (an exam's scores) keeps its file and its
# report's cell values this long, for "import the valid rows only"; a succeeded one keeps
# neither file nor, after this long, values (core/artefacts.py).
RESTRICTED_IMPORT_KEEP_HOURS = float(os.environ.get("RESTRICTED_IMPORT_KEEP_HOURS", 24))

# Local files are written whole or not at all (see core/storage.py).
_default_storage: dict = {"BACKEND": "jiaoyan.core.storage.AtomicFileSystemStorage"}
if os.environ.get("STORAGE_BACKEND", "").lower() == "s3":
    # Any S3-compatible store, through django-storages (installed separately in
    # production: pip install django-storages[s3]).
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ.get("S3_BUCKET", ""),
            "endpoint_url": os.environ.get("S3_ENDPOINT_URL") or None,
            "access_key": os.environ.get("S3_ACCESS_KEY_ID", ""),
            "secret_key": os.environ.get("S3_SECRET_ACCESS_KEY", ""),
            "region_name": os.environ.get("S3_REGION") or None,
            "default_acl": None,
            "querystring_auth": True,
        },
    }
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG


# --- background work -----------------------------------------------------------------

TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "jiaoyan",
    }
}


# --- logging: never request bodies, never secrets ------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        # One JSON object a line with the request id (jiaoyan/core/logs.py).
        "json": {"()": "jiaoyan.core.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": os.environ.get("LOG_FORMAT", "plain" if DEBUG else "json"),
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}

# --- API -----------------------------------------------------------------------------

NINJA_PAGINATION_MAX_LIMIT = 500
API_TOKEN_PREFIX = "jy_"

# --- product -------------------------------------------------------------------------

JIAOYAN_DEMO_PASSWORD = "jiaoyan-demo"
PAGE_SIZE = 25
