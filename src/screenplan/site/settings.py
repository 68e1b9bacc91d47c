"""Django settings, read from the environment (see docs/configuration in README.md).

With nothing set, Screenplan runs in development mode on SQLite in SCREENPLAN_DATA_DIR
(default ./screenplan-data), creating its secret key and data key there on first start.
SCREENPLAN_PRODUCTION=true requires every secret from the environment instead.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from .env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
PRODUCTION = env_bool("SCREENPLAN_PRODUCTION")
DEBUG = env_bool("SCREENPLAN_DEBUG", default=False)
DATA_DIR = Path(env_str("SCREENPLAN_DATA_DIR", "screenplan-data")).resolve()


def _local_secret(name: str, make: str) -> str:
    """A secret kept in DATA_DIR for development; production must pass it in the environment."""
    if PRODUCTION:
        raise ImproperlyConfigured(f"SCREENPLAN_PRODUCTION is on: set {name} in the environment")
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    path = DATA_DIR / name.lower()
    if not path.exists():
        path.write_text(make, encoding="ascii")
        path.chmod(0o600)
    return path.read_text(encoding="ascii").strip()


SECRET_KEY = env_str("SCREENPLAN_SECRET_KEY") or _local_secret("SCREENPLAN_SECRET_KEY", secrets.token_urlsafe(50))
# Keys for answers at rest: base64 AES-256 keys, comma-separated, the first encrypts.
DATA_KEYS = env_list("SCREENPLAN_DATA_KEYS") or [_local_secret("SCREENPLAN_DATA_KEYS", secrets.token_urlsafe(32))]
# TEST-ONLY, never in production: acknowledge an answer before its write is durable, so the
# durability harness (proof/crash.py) can show it catches acknowledged answers that are lost.
UNSAFE_ACK_BEFORE_COMMIT = env_bool("SCREENPLAN_UNSAFE_ACK_BEFORE_COMMIT", default=False)
if UNSAFE_ACK_BEFORE_COMMIT and PRODUCTION:
    raise ImproperlyConfigured("SCREENPLAN_UNSAFE_ACK_BEFORE_COMMIT is test-only: never with SCREENPLAN_PRODUCTION")
# TEST-ONLY, never in production: a database error is the generic 500 page instead of the calm
# 503 with Retry-After, so the outage harness (proof/outage.py) can show it catches that.
UNSAFE_DB_ERRORS_AS_500 = env_bool("SCREENPLAN_UNSAFE_DB_ERRORS_AS_500", default=False)
if UNSAFE_DB_ERRORS_AS_500 and PRODUCTION:
    raise ImproperlyConfigured("SCREENPLAN_UNSAFE_DB_ERRORS_AS_500 is test-only: never with SCREENPLAN_PRODUCTION")
ALLOWED_HOSTS = env_list("SCREENPLAN_ALLOWED_HOSTS", "" if PRODUCTION else "localhost,127.0.0.1,[::1],testserver")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.staticfiles",
    "screenplan.site",
    "screenplan.audit",
    "screenplan.assessments",
    "screenplan.clinic",
    "screenplan.api",
    "ninja",
]

MIDDLEWARE = [
    "screenplan.audit.requests.RequestIdMiddleware",
    "screenplan.site.security.SecurityHeadersMiddleware",
    # Before the body guard, so a 413 or 415 gets HSTS (and the HTTPS redirect) like any response.
    "django.middleware.security.SecurityMiddleware",
    "screenplan.api.guard.BodyGuardMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "screenplan.site.security.CsrfMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "screenplan.clinic.access.StaffSessionMiddleware",
    "screenplan.site.security.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "screenplan.site.urls"
WSGI_APPLICATION = "screenplan.site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "screenplan.site.branding.branding",
            ],
        },
    },
]

_db_url = env_str("DATABASE_URL")
if _db_url:
    import dj_database_url

    DATABASES = {"default": dj_database_url.parse(_db_url, conn_max_age=60, conn_health_checks=True)}
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SCREENPLAN_SQLITE_PATH", str(DATA_DIR / "screenplan.sqlite3")),
            "OPTIONS": {
                # Durability first: an answer acknowledged is an answer on disk.
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; "
                    "PRAGMA secure_delete=ON; PRAGMA busy_timeout=5000;"
                ),
                "transaction_mode": "IMMEDIATE",
                "timeout": 5,
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# One cookie: the session. CSRF tokens live in it, the language lives in the URL.
SESSION_ENGINE = "screenplan.site.sessions"
SESSION_COOKIE_NAME = "screenplan"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("SCREENPLAN_SESSION_SECONDS", 60 * 60 * 24 * 30)
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_USE_SESSIONS = True
CSRF_COOKIE_SECURE = PRODUCTION
CSRF_FAILURE_VIEW = "screenplan.assessments.views.csrf_failure"

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "no-referrer"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = PRODUCTION and env_bool("SCREENPLAN_SSL_REDIRECT", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("SCREENPLAN_BEHIND_PROXY") else None
SECURE_HSTS_SECONDS = 63072000 if PRODUCTION else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = PRODUCTION
# `check --deploy` looks for Django's own middleware by name. Both protections are on, in
# screenplan.site.security: SecurityHeadersMiddleware sends X-Frame-Options: DENY (and CSP
# frame-ancestors 'none') on every response, and CsrfMiddleware is a CsrfViewMiddleware.
SILENCED_SYSTEM_CHECKS = ["security.W002", "security.W003"]
DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200

# Staff accounts: Argon2 hashes; two-factor sign-in required in production (and on request).
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "/staff/login/"
REQUIRE_TOTP = env_bool("SCREENPLAN_REQUIRE_TOTP", default=PRODUCTION)

# Urgent shared submissions send a short e-mail (no personal data) to the on-call address.
ONCALL_EMAIL = env_str("SCREENPLAN_ONCALL_EMAIL")
SITE_URL = env_str("SCREENPLAN_SITE_URL", "http://127.0.0.1:8000")
EMAIL_BACKEND = env_str("SCREENPLAN_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("SCREENPLAN_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("SCREENPLAN_EMAIL_PORT", 25)
DEFAULT_FROM_EMAIL = env_str("SCREENPLAN_FROM_EMAIL", "screenplan@localhost")

# Requests per minute for each private token, address or API client on the JSON API.
API_RATE_PER_MINUTE = env_int("SCREENPLAN_API_RATE_PER_MINUTE", 120)
API_CLIENT_RATE_PER_MINUTE = env_int("SCREENPLAN_API_CLIENT_RATE_PER_MINUTE", 600)

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

STATIC_URL = "/static/"
STATIC_ROOT = env_str("SCREENPLAN_STATIC_ROOT") or None  # whitenoise serves from the apps without it
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Branding: a clinic sets its own name, logo, contact and crisis numbers.
PROGRAM_NAME = env_str("SCREENPLAN_PROGRAM_NAME", "Screenplan")
PROGRAM_LOGO_URL = env_str("SCREENPLAN_PROGRAM_LOGO_URL", "")
PROGRAM_CONTACT = env_str("SCREENPLAN_PROGRAM_CONTACT", "")
PROGRAM_CONTACT_URL = env_str("SCREENPLAN_PROGRAM_CONTACT_URL", "")
CRISIS_CALL = env_str("SCREENPLAN_CRISIS_CALL", "988")
CRISIS_TEXT = env_str("SCREENPLAN_CRISIS_TEXT", "741741")
CRISIS_TEXT_BODY = env_str("SCREENPLAN_CRISIS_TEXT_BODY", "HOME")
EMERGENCY = env_str("SCREENPLAN_EMERGENCY", "911")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact": {"()": "screenplan.site.security.RedactTokens"},
        "template_context": {"()": "screenplan.site.security.DropTemplateContext"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact", "template_context"]}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    # Django's own handlers (its console with SCREENPLAN_DEBUG on, mail_admins, runserver's
    # request lines) would write a request's path, private link token included, before the
    # redaction: every Django record goes through the redacting console handler instead.
    "loggers": {
        "django": {"handlers": [], "level": "INFO"},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
