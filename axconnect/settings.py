"""AX Connect settings: everything that differs between machines comes from the environment.

See the README's "Settings" table for each variable.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from cryptography.fernet import Fernet
from csp.constants import NONCE as CSP_NONCE
from csp.constants import NONE as CSP_NONE
from csp.constants import SELF as CSP_SELF

from axconnect.env import (
    REQUIRED_IN_PRODUCTION,
    ProductionSettingsMissing,
    database_from_url,
    embedded_database,
    env_bool,
    env_int,
    env_list,
    env_str,
    local_secret,
    unset_settings,
)
from axconnect.logging import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent
# Gitignored: embedded database and dev-only keys. AXC_LOCAL_DIR moves it (a test runs the
# demo on a server of its own).
LOCAL_DIR = Path(env_str("AXC_LOCAL_DIR") or BASE_DIR / ".localdb")

DEBUG = env_bool("DEBUG", False)
# Development defaults stand in for the settings production requires (generated keys, the
# embedded database, the GHL sandbox's app, an open /metrics) only when DEBUG is on, or
# AXC_DEVELOPMENT for runs with otherwise production-like settings (tests, benchmarks).
# Anywhere else a missing one stops the process here, naming every one missing.
DEVELOPMENT = env_bool("AXC_DEVELOPMENT", DEBUG)
# The required settings this process runs on development defaults for (`check --deploy`
# reports each).
DEVELOPMENT_DEFAULTS = unset_settings(REQUIRED_IN_PRODUCTION)
if DEVELOPMENT_DEFAULTS and not DEVELOPMENT:
    raise ProductionSettingsMissing(DEVELOPMENT_DEFAULTS)
# Credentials go only to Nextech's and HighLevel's own hosts over HTTPS
# (tenants.credential_urls) unless this is on: the sandboxes, a recording proxy.
AXC_ALLOW_SANDBOX_URLS = env_bool("AXC_ALLOW_SANDBOX_URLS", DEVELOPMENT)
# The host the agency admin lives on; practices live on <slug>.<BASE_DOMAIN>.
BASE_DOMAIN = env_str("AXC_BASE_DOMAIN", "localhost")
SECRET_KEY = env_str("SECRET_KEY") or local_secret(LOCAL_DIR / "secret_key")
# Fernet keys for secrets at rest, newest first; separate from SECRET_KEY so rotating
# one never makes the other unreadable.
ENCRYPTION_KEYS = env_list("AXC_ENCRYPTION_KEYS", []) or [
    local_secret(LOCAL_DIR / "encryption_key", lambda: Fernet.generate_key().decode())
]
# ":8000" in development, so links between the agency and portal hosts keep the port.
PORT_SUFFIX = env_str("AXC_PORT_SUFFIX", "")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [BASE_DOMAIN, f".{BASE_DOMAIN}", "127.0.0.1"])

SHARED_APPS = [
    # Before django_tenants, whose admin index and app list templates would shadow
    # Django's: theirs carry inline styles the Content-Security-Policy refuses. (The
    # admin has no management commands, so django_tenants' `migrate` still wins.)
    "django.contrib.admin",
    "django_tenants",
    "tenants",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_q",
    "import_export",
    # Sign-in lockouts (public schema: one count per account and address, whatever host).
    "axes",
    "csp",
    # Second factor: authenticator apps (TOTP) and one-time recovery codes (static tokens).
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
]
TENANT_APPS = ["integrations"]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.Practice"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_NAME = "public"
# `SET search_path` once per connection and schema switch instead of before every query
# (half the engine's round trips). Safe with django-tenants 4.0.1: switching schema,
# closing, a rollback and a savepoint rollback each make the next query set it again.
TENANT_LIMIT_SET_CALLS = True
PUBLIC_SCHEMA_URLCONF = "axconnect.urls_public"
ROOT_URLCONF = "axconnect.urls_tenant"

MIDDLEWARE = [
    # /healthz and /readyz answer before host checks, tenant lookup and the HTTPS
    # redirect: load balancers probe by IP over plain HTTP.
    "axconnect.health.HealthCheckMiddleware",
    "django_tenants.middleware.main.TenantMainMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): whether this session passed its second factor.
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Signs idle sessions out (after messages, so it can say why).
    "tenants.idle_timeout.IdleTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so it sees the responses of both logins (portal and admin) as they leave.
    "axes.middleware.AxesMiddleware",
]

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

WSGI_APPLICATION = "axconnect.wsgi.application"

DATABASE_URL = env_str("DATABASE_URL")
DATABASES = {
    "default": {
        "ENGINE": "django_tenants.postgresql_backend",
        **(
            database_from_url(DATABASE_URL) if DATABASE_URL else embedded_database(LOCAL_DIR / "pg")
        ),
        # Kept connections: with 0, every django-q2 task (ORM broker) opened five new
        # ones. Behind PgBouncer (session mode) a kept connection keeps its pool slot.
        "CONN_MAX_AGE": env_int("DB_CONN_MAX_AGE", 600),
        # With DB_CONN_MAX_AGE above 0, a kept connection the server dropped meanwhile (a
        # restart, a failover) is replaced before use instead of failing a request or tick.
        "CONN_HEALTH_CHECKS": True,
        # Fail fast when the server is unreachable, so /healthz answers 503 in seconds.
        "OPTIONS": {"connect_timeout": env_int("DB_CONNECT_TIMEOUT", 5)},
        # Separate test databases let several test runs share one server at once.
        "TEST": {"NAME": env_str("AXC_TEST_DB_NAME") or None},
    }
}
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "portal:login"

# Idle sessions are signed out: agency staff (who reach every practice they are granted)
# soon, portal users after longer. The cookie itself lasts no longer than the portal's limit.
STAFF_IDLE_MINUTES = env_int("AXC_STAFF_IDLE_MINUTES", 15)
PORTAL_IDLE_MINUTES = env_int("AXC_PORTAL_IDLE_MINUTES", 60)
SESSION_COOKIE_AGE = max(STAFF_IDLE_MINUTES, PORTAL_IDLE_MINUTES) * 60
# Password reset links (portal users) expire after a day.
PASSWORD_RESET_TIMEOUT = 24 * 60 * 60

# django-axes checks every sign-in (portal and both admins) before the password does.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Five wrong passwords lock the account (from any address) and the address (for any
# account): the next attempt is refused, even with the right password, for the cool-off.
AXES_FAILURE_LIMIT = 5
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXC_LOCKOUT_MINUTES", 30))
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "portal/locked.html"
# The address behind AXC_TRUSTED_PROXIES reverse proxies (X-Forwarded-For), else the peer.
AXES_CLIENT_IP_CALLABLE = "tenants.lockout.client_ip"
TRUSTED_PROXIES = env_int("AXC_TRUSTED_PROXIES", 0)
# Authenticator apps list the account under this name.
OTP_TOTP_ISSUER = "AX Connect"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Production hardening; all on unless DEBUG, so `check --deploy` is clean in production.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# Content-Security-Policy (django-csp): scripts and styles only from our own origin, no
# inline script at all; our templates' inline <style> blocks carry the request's nonce.
# Pages may not be framed, nor post forms elsewhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [CSP_SELF],
        "script-src": [CSP_SELF],
        "style-src": [CSP_SELF, CSP_NONCE],
        "img-src": [CSP_SELF, "data:"],
        "font-src": [CSP_SELF],
        "connect-src": [CSP_SELF],
        "object-src": [CSP_NONE],
        "base-uri": [CSP_NONE],
        "form-action": [CSP_SELF],
        "frame-ancestors": [CSP_NONE],
    }
}
# Session cookies stay on the host that set them: one practice's portal session is
# never sent to another practice's host.
SESSION_COOKIE_DOMAIN = None

REDIS_URL = env_str("REDIS_URL")
# django-q2. Pollers must not replay missed slots (catch_up) nor re-run failed ticks
# forever: the next slot is the retry. `retry` exceeds `timeout` so a running tick is
# never handed to a second worker.
Q_CLUSTER: dict[str, object] = {
    # Every qcluster on every machine must share this name, the broker and SECRET_KEY
    # (tasks are signed with it).
    "name": "axconnect",
    # Worker processes per qcluster; each runs AXC_TICK_THREADS ticks at a time.
    "workers": env_int("Q_WORKERS", 2),
    # The poll task hands its tick to the worker's tick pool and returns; it may wait
    # half of this for a free thread. Other tasks running longer are killed.
    "timeout": env_int("Q_TIMEOUT", 240),
    "retry": env_int("Q_RETRY", 300),
    "max_attempts": 1,
    "ack_failures": True,
    "catch_up": False,
    # No success rows: with a limit, every finished task counted and trimmed the last N
    # results (16 tasks/s on the ORM broker instead of 35). Failures are always kept;
    # each tick's outcome is in the practice's sync log and the metrics.
    "save_limit": env_int("Q_SAVE_LIMIT", -1),
    # Tasks a worker process runs before it is replaced (django-q2's default is 500).
    # With its tick pool a worker runs 30 poll tasks a second: at 500 it was replaced
    # every 15 s, waiting for its ticks and losing its kept connections each time.
    # Replaced past Q_MAX_RSS kilobytes of memory too, whichever comes first.
    "recycle": env_int("Q_RECYCLE", 50_000),
    "max_rss": env_int("Q_MAX_RSS", 1_000_000),
    # Seconds between broker polls when the queue is empty: 1 s keeps N machines from
    # hammering PostgreSQL (ORM broker) for no gain at one task per second.
    "poll": float(env_str("Q_POLL", "1")),
    # The sentinel's loop; the scheduler runs once per ~30 s of it on every cluster.
    "guard_cycle": float(env_str("Q_GUARD_CYCLE", "0.5")),
    "label": "Task queue",
    # Every cluster runs the scheduler by default (a row lock keeps a slot from firing
    # twice); Q_SCHEDULER=0 makes a cluster that only works the queue.
    "scheduler": env_bool("Q_SCHEDULER", True),
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

# How long one tick may decide (a third) and write (the rest) before leaving the remainder
# to the next tick; well inside Q_TIMEOUT so the queue never kills a tick mid-way.
AXC_TICK_BUDGET_SECONDS = env_int("AXC_TICK_BUDGET_SECONDS", 180)

# Ticks one worker process runs at once (integrations.tick_pool): a tick mostly waits on
# the two APIs, so threads multiply what a worker keeps on schedule. Each holds a
# database connection while it runs: budget Q_WORKERS x this per qcluster. 24: with 16,
# a worker's threads were all waiting on calls while it used 0.75 of a core; 24 use
# 0.87 and 32 left the 2-core bench machine no room for PostgreSQL (`make bench`).
AXC_TICK_THREADS = env_int("AXC_TICK_THREADS", 24)

# The poll task's body; the sync engine provides it.
AXC_TICK_FUNCTION = env_str("AXC_TICK_FUNCTION", "integrations.engine.tick.practice_tick")

# The GoHighLevel Marketplace app; development defaults to the GHL sandbox's public demo app.
GHL_CLIENT_ID = env_str("GHL_CLIENT_ID", "sandbox-app-client")
GHL_CLIENT_SECRET = env_str("GHL_CLIENT_SECRET", "sandbox-app-secret")
# Where a new practice's credentials point until staff change them; empty: the vendors' own
# URLs. `make demo` aims them at its sandboxes, so a practice onboarded by hand uses them.
GHL_API_URL = env_str("GHL_API_URL")
GHL_AUTHORIZE_URL = env_str("GHL_AUTHORIZE_URL")
GHL_TOKEN_URL = env_str("GHL_TOKEN_URL")
NEXTECH_API_URL = env_str("NEXTECH_API_URL")
NEXTECH_TOKEN_URL = env_str("NEXTECH_TOKEN_URL")
# Webhook public keys as PEM text (several may follow each other); unset: HighLevel's own.
GHL_WEBHOOK_ED25519_KEYS = env_str("GHL_WEBHOOK_ED25519_KEYS")
GHL_WEBHOOK_RSA_KEYS = env_str("GHL_WEBHOOK_RSA_KEYS")
# Where staff open a CRM contact (the agency's white-label domain, if it has one).
AXC_CRM_APP_URL = env_str("AXC_CRM_APP_URL", "https://app.gohighlevel.com").rstrip("/")

IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = True

# Log lines carry the practice and tick id (axconnect.logging). JSON in production, for
# log shippers; readable lines when DEBUG. LOG_FORMAT=json|plain overrides either way.
LOG_FORMAT = env_str("LOG_FORMAT", "plain" if DEBUG else "json")
LOGGING = logging_config(json_lines=LOG_FORMAT == "json", level=env_str("LOG_LEVEL", "INFO"))

# Operations. Alerts go to ALERT_EMAILS through Django's email backend: the console in
# development, SMTP (EMAIL_HOST...) in production.
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG or not env_str("EMAIL_HOST")
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_TIMEOUT = 10  # an unreachable mail server must not hold a worker for long
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", f"AX Connect <alerts@{BASE_DOMAIN}>")
ALERT_EMAILS = env_list("ALERT_EMAILS", [])
# Raw Nextech payloads, sent CRM writes and sync logs older than this are purged daily.
RETENTION_DAYS = env_int("AXC_RETENTION_DAYS", 30)
# /metrics wants "Authorization: Bearer <token>" (Prometheus' bearer_token); production
# requires it, development without it leaves /metrics open.
METRICS_TOKEN = env_str("METRICS_TOKEN")
