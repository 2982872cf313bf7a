"""Hamkor settings: one module, read from the environment.

Every variable is listed in `.env.example`. Development defaults are safe: DEBUG is
off unless asked for, and outside DEBUG a missing SECRET_KEY or ALLOWED_HOSTS
stops the start.
"""

import datetime
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment (or DEBUG=true for "
            "development)."
        )
    SECRET_KEY = "django-insecure-development-only"  # noqa: S105

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else []
)
if not ALLOWED_HOSTS and not DEBUG:
    # Django would start, and answer every request with 400 Bad Request.
    raise ImproperlyConfigured(
        "ALLOWED_HOSTS is not set. Set it to the host names the site is served "
        "under, comma-separated (e.g. ALLOWED_HOSTS=hamkor.example.org), or "
        "DEBUG=true for development."
    )
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # The Django admin, on Hamkor's site that admits users by role.
    "accounts.apps.HamkorAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_countries",
    "django_filters",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    # django-axes, named in the reader's language.
    "accounts.apps.LoginAttemptsConfig",
    # The kernel every app builds on, before the apps of the domain.
    "core",
    "accounts",
    "stakeholders",
    "meetings",
    # Finding and reviewing duplicate organisations and people.
    "duplicates",
    # The REST API (/api/v1/) and its users' tokens.
    "api",
    # The sample-data generator and the benchmark's commands.
    "bench",
]

MIDDLEWARE = [
    # /health/ for the probes, before the host check and the HTTPS redirect
    # (core/health.py).
    "core.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The browser's language (its cookie, else Accept-Language) ...
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # ... unless the signed-in user chose one (accounts.Preferences).
    "accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "accounts.middleware.IdleTimeoutMiddleware",
    # Records request.user on every history row written during the request.
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes requires: turns a lockout into its response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"

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
        },
    },
]

# Forms write their common widgets in Python and anything else through Django's
# templates, with the same output (core.forms.WidgetRenderer).
FORM_RENDERER = "core.forms.WidgetRenderer"

WSGI_APPLICATION = "config.wsgi.application"

# Database: SQLite by default (embedded, `make run`), PostgreSQL through DATABASE_URL.
DATABASES = {
    "default": env.db_url(
        "DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # Take the write lock when a transaction starts, so that two writers
            # queue on the busy timeout instead of one failing with "database is
            # locked" when it upgrades a read lock.
            "transaction_mode": "IMMEDIATE",
            "timeout": env.int("SQLITE_BUSY_TIMEOUT", default=20),
            # WAL lets readers go on while one writer writes.
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=NORMAL;"
                "PRAGMA foreign_keys=ON;"
                # Reads through memory mapping rather than a read() a page
                # into each connection's own cache: at XL under load, pages
                # a second +29 %, CPU a request -15 % (docs/performance.md).
                f"PRAGMA mmap_size={env.int('SQLITE_MMAP_SIZE', default=2**30)};"
            ),
        }
    )
# Connections kept between requests, each thread its own (on SQLite too:
# the schema is read and the connection set up once, not per request; at XL
# under load, pages a second +20 %, CPU a request -15 %).
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
# On PostgreSQL, no cursor held between transactions. Django reads the
# choices of a form (the organisation types of every list's filter) through
# a cursor WITH HOLD: three round trips where one does, and lost when a
# PgBouncer in transaction pooling gives the server connection to another
# client ("cursor ... does not exist"). The results Hamkor reads whole this
# way are short; the exports keep their cursor, inside a transaction of
# their own (core/exports.py), and find_duplicates reads by key
# (docs/operations.md#pgbouncer).
DATABASES["default"].setdefault(
    "DISABLE_SERVER_SIDE_CURSORS",
    env.bool(
        "DISABLE_SERVER_SIDE_CURSORS",
        default=DATABASES["default"]["ENGINE"].endswith("postgresql"),
    ),
)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Websites typed without a scheme are https://, as Django 6.0 will assume.
FORMS_URLFIELD_ASSUME_HTTPS = True

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation."
        "UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out username before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, reading the permissions with the user.
    "accounts.backends.UserWithPermissionsBackend",
]

# History pages show past versions read-only (see HamkorAdmin.history_form_view).
SIMPLE_HISTORY_REVERT_DISABLED = True

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Internationalisation: meetings are held, and recorded, in Tashkent time.
# Uzbek (Latin script), Russian and British English ("29 Jan 2025" and
# 24-hour times, as the partners write them). The interface language comes
# from the user's own choice (accounts.Preferences, kept in the session and
# a cookie), else the browser's Accept-Language; no URL carries it. Each
# language is named in itself in the switch.
LANGUAGE_CODE = "en-gb"
LANGUAGES = [("uz", "Oʻzbekcha"), ("ru", "Русский"), ("en-gb", "English")]
# Hamkor's own catalogues, then what Django's and the libraries' own lack
# (core/catalogues.py, manage.py vendor_messages).
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale" / "libraries"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Tashkent")
# Dates in each language's conventions: Django's, except where a ministry
# writes them otherwise (config/formats/: Uzbek "29-yanvar 2025", 24-hour
# times in English).
FORMAT_MODULE_PATH = ["config.formats"]
USE_I18N = True
USE_TZ = True
COUNTRIES_FIRST = ["UZ"]

# Static files: collected into STATIC_ROOT and served by WhiteNoise.
STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Security: outside DEBUG, cookies travel only over HTTPS and browsers are told
# to stay on HTTPS. Behind a TLS-terminating proxy set SECURE_PROXY_SSL_HEADER.
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
LANGUAGE_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
# The header only consents to preloading; nothing happens until the domain is
# submitted to the browsers' list.
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
BEHIND_TLS_PROXY = env.bool("BEHIND_TLS_PROXY", default=False)
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many proxies in front of Hamkor append to X-Forwarded-For: the client's
# address is the entry that many places from the right (accounts/middleware.py
# client_ip); 0 reads the connection's address only.
TRUSTED_PROXY_COUNT = env.int(
    "TRUSTED_PROXY_COUNT", default=1 if BEHIND_TLS_PROXY else 0
)

# Sessions end after SESSION_IDLE_MINUTES without a request (see
# accounts/middleware.py), and when the browser closes.
SESSION_IDLE_MINUTES = env.int("SESSION_IDLE_MINUTES", default=30)
# A request writes the session, moving its expiry, when its last write is this
# old: a minute, or a quarter of a shorter idle limit. The session lives that
# much longer than the idle limit, so that a request that did not write it
# still extends it.
SESSION_REFRESH_SECONDS = min(60, SESSION_IDLE_MINUTES * 60 // 4)
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60 + SESSION_REFRESH_SECONDS
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_SAMESITE = "Lax"

# The start page's figures that count across the data (meetings per month,
# follow-ups due, the most overdue, organisations met lately, dormant
# partners) are kept this long in each worker's memory (Django's local-memory
# cache: no CACHES setting, no cache server) and shown with the time they
# were counted; 0 counts them on every request. See meetings.dashboard.
DASHBOARD_CACHE_SECONDS = env.int("DASHBOARD_CACHE_SECONDS", default=60)

# Login throttling (django-axes): five wrong passwords for one username from
# one address lock that pair out, and ten for one username from any number of
# addresses lock the username (accounts/lockouts.py); the lock lasts fifteen
# minutes from the last attempt (an attempt during the lock starts it again),
# and a success resets the count.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_USERNAME_FAILURE_LIMIT = env.int("AXES_USERNAME_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = datetime.timedelta(
    minutes=env.int("AXES_COOLOFF_MINUTES", default=15)
)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username"]
AXES_HANDLER = "accounts.lockouts.HamkorLockoutHandler"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_LOCKOUT_CALLABLE = "accounts.lockouts.locked_out"
AXES_CLIENT_IP_CALLABLE = "accounts.middleware.client_ip"

# Content-Security-Policy: everything from this origin, no inline scripts, no
# plug-ins, no framing. Bootstrap draws its icons with data: SVG images.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
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

# The REST API (/api/v1/, api/): what it reads and writes is what the pages
# and the admin do, by the same role permissions (accounts/roles.py). Its
# users log in as on the pages (the browser session, with CSRF) or send a
# token of their own (/accounts/api-tokens/). JSON only: the schema's
# Swagger UI and Redoc pages are the API's browsable face.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # First: a request that sends a token is its token's, session or not.
        "api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.RolePermissions"],
    # Requests per token (or per user, for the browser session), e.g.
    # "120/min" or "5000/hour". Counted in the default cache, which is each
    # worker process's memory (no CACHES setting): with WEB_CONCURRENCY
    # processes a script may make up to that many times the rate.
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"token": env.str("API_RATE", default="120/min")},
    "DEFAULT_PAGINATION_CLASS": "api.pagination.IdCursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["api.filters.ListFilterBackend"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_VERSIONING_CLASS": None,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    # In the reader's language on the schema's pages (the committed schema
    # is written in English: make schema).
    "TITLE": gettext_lazy("Hamkor API"),
    "DESCRIPTION": gettext_lazy(
        "The organisations, people, meetings and follow-ups of Hamkor, the "
        "stakeholder relationship tracker. See docs/api.md."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["api.permissions.MayRead"],
    # Swagger UI and Redoc from drf-spectacular-sidecar: nothing from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.error_answers",
    ],
}

# Uploads (sign-in sheets) are small; refuse anything larger before it is read.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # django-axes logs every successful login at INFO; lockouts are warnings.
    "loggers": {"axes": {"level": "WARNING"}},
}
