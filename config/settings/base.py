"""Settings shared by every environment.

The environment is read here and in the sibling modules, nowhere else in the project.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dj_database_url
import environ
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django_guid.integrations import CeleryIntegration
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent.parent


class _Env(environ.Env):
    """django-environ, except that a value is always itself: django-environ reads a value starting
    with "$" as a reference to another variable, and a generated secret key may start with "$"."""

    def get_value(
        self, var: str, cast: Any = None, default: Any = environ.Env.NOTSET, parse_default: bool = False
    ) -> Any:
        raw = self.ENVIRON.get(f"{self.prefix}{var}")
        if isinstance(raw, str) and raw.startswith("$"):
            return self.parse_value(raw, cast)
        return super().get_value(var, cast=cast, default=default, parse_default=parse_default)


ENV = _Env()


# The helpers every settings line uses (`FOO = env("FOO", "default")`), over django-environ.
def env(name: str, default: str = "") -> str:
    return ENV.str(name, default=default)


def env_bool(name: str, default: bool = False) -> bool:
    """On for 1 / true / yes / on (django-environ also takes y, ok and other non-zero numbers)."""
    return ENV.bool(name, default=default)


def env_list(name: str, default: str = "") -> list[str]:
    """A comma-separated list; blanks around and between items are dropped."""
    items = ENV.get_value(name, cast=list, default=default, parse_default=True)
    return [item.strip() for item in items if item.strip()]


SECRET_KEY = env("DJANGO_SECRET_KEY", "insecure-local-development-key-change-me")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = [SITE_URL]

INSTALLED_APPS = [
    "config.apps.SyllabusAdminConfig",  # django.contrib.admin with config/admin_site.py
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "adminsortable2",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.google",
    "allauth.usersessions",
    "anymail",
    "django_guid",
    "accounts",
    "billing",
    "teams",
    "courses",
    "progress",
    "emails",
    "analytics",
    "search",
    "ops",
    "qa",
    "notes",
    "certificates",
    "csp",
    "pages",
]

MIDDLEWARE = [
    # First: every later log line of the request carries its id (X-Request-ID), and so do the Celery tasks
    # it queues (ops: DJANGO_GUID's Celery integration). Then request metrics wrap the whole stack.
    "django_guid.middleware.guid_middleware",
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    # Before sessions and auth: a NUL in the address is refused before any query.
    "config.middleware.RejectNulMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Django's AuthenticationMiddleware, with the user row (and subscription) from the cache.
    "config.middleware.CachedAuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    # After authentication: learners finish onboarding before the learning pages.
    "accounts.middleware.OnboardingRequiredMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
SITE_ID = 1

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
                "config.context_processors.site",
                "csp.context_processors.nonce",
                "billing.context_processors.billing",
            ],
        },
    },
]

# --- Content-Security-Policy (django-csp) ------------------------------------------------------
# Scripts only from the site itself (the Mux Player and the editor bundle are self-hosted static files)
# and inline scripts only with the per-response nonce (`<script nonce="{{ CSP_NONCE }}">`). Media, images
# and connections only to the providers really used: Mux Video (stream.mux.com, image.mux.com), Mux
# Data (*.litix.io), and the Google Cloud Storage host the admin PUTs direct uploads to. Stripe
# Checkout, the portal and Google sign-in are redirects after our own form posts (form-action).
MUX_CSP_HOSTS = ["https://stream.mux.com", "https://image.mux.com"]
MUX_DIRECT_UPLOAD_HOST = "https://storage.googleapis.com"
# The Mux Player is served from static/vendor/ (npm, make frontend): no script host beyond the site by default.
CSP_EXTRA_SCRIPT_HOSTS = env_list("CSP_EXTRA_SCRIPT_HOSTS", "")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        # Google's Cast sender framework, which the Mux Player loads in Chrome so a lesson can play on a TV.
        "script-src": [SELF, NONCE, "https://www.gstatic.com", *CSP_EXTRA_SCRIPT_HOSTS],
        # Mux Player styles its shadow DOM at run time and the admin uses style attributes: styles
        # cannot run code, so inline styles are allowed; inline scripts are not.
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:", "blob:", *MUX_CSP_HOSTS],
        "media-src": [SELF, "blob:", *MUX_CSP_HOSTS],
        "connect-src": [SELF, *MUX_CSP_HOSTS, "https://*.litix.io", MUX_DIRECT_UPLOAD_HOST],
        "worker-src": [SELF, "blob:"],  # the player's HLS engine runs in a blob worker
        "font-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [
            SELF,
            "https://checkout.stripe.com",
            "https://billing.stripe.com",
            "https://accounts.google.com",
        ],
    }
}

# --- Database --------------------------------------------------------------------------------
# PostgreSQL in production and tests; SQLite only as the zero-setup default of `make run`.
DATABASE_URL = env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
# Persistent connections (one per worker process). Health checks are off by default: each costs a
# round trip at the start of every request, and a connection that broke (database restart) is closed
# by Django at the end of the request that found it, so a restart costs each worker one failed request.
# Turn them on where connections die often (a proxy or pooler that drops idle connections).
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=int(env("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=env_bool("DATABASE_CONN_HEALTH_CHECKS", False),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache, Celery broker ---------------------------------------------------------------
REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            # Fails open (config/cache.py): Redis down degrades rate limits, never a page.
            "BACKEND": "config.cache.FailOpenRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", "syllabus"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Sessions are read from the cache on every signed-in request (Django's cached_db, hardened for a cache
# outage in config/sessions.py) and written through to the database,
# which stays the record (allauth's session list, "sign out other devices", a cache flush).
SESSION_ENGINE = "config.sessions"

# --- Auth ------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/dashboard/"

# django-allauth: email is the login; no usernames.
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = env("ACCOUNT_EMAIL_VERIFICATION", "optional")
if ACCOUNT_EMAIL_VERIFICATION not in {"optional", "mandatory"}:
    raise ValueError("ACCOUNT_EMAIL_VERIFICATION must be 'optional' or 'mandatory'.")
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_EMAIL_NOTIFICATIONS = True  # tell the owner when their password or email address changes
ACCOUNT_LOGIN_ON_PASSWORD_RESET = True
# allauth's rate limits live in the default cache (Redis); going over answers 429 (templates/429.html)
# or, for failed logins of one address, a message on the form.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
    "reauthenticate": "10/m/user",
    "confirm_email": "1/3m/key",
}
# Behind N reverse proxies, the client address is the N-th from the right in X-Forwarded-For.
ALLAUTH_TRUSTED_PROXY_COUNT = ENV.int("ALLAUTH_TRUSTED_PROXY_COUNT", default=0)
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_FORMS = {
    "add_email": "accounts.forms.AddEmailForm",
    # The same forms with sentence-case labels.
    "login": "accounts.forms.LoginForm",
    "change_password": "accounts.forms.ChangePasswordForm",
    "set_password": "accounts.forms.SetPasswordForm",
    "reset_password_from_key": "accounts.forms.ResetPasswordKeyForm",
}
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.signup_form.SignupNameForm"  # the optional name, asked at sign-up
SOCIALACCOUNT_ADAPTER = "accounts.adapters.SocialAccountAdapter"
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
GOOGLE_CLIENT_ID = env("GOOGLE_CLIENT_ID")
GOOGLE_CLIENT_SECRET = env("GOOGLE_CLIENT_SECRET")
SOCIALACCOUNT_PROVIDERS: dict[str, dict] = {}
if GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET:
    SOCIALACCOUNT_PROVIDERS["google"] = {
        "APPS": [{"client_id": GOOGLE_CLIENT_ID, "secret": GOOGLE_CLIENT_SECRET, "key": ""}],
        "SCOPE": ["profile", "email"],
        "AUTH_PARAMS": {"access_type": "online"},
        "EMAIL_AUTHENTICATION": True,
    }
# Sessions are recorded at login (the account page lists them, "sign out other devices" works).
# Per-request "last seen" tracking costs a read and a write on every signed-in request, so it is opt-in.
USERSESSIONS_TRACK_ACTIVITY = env_bool("USERSESSIONS_TRACK_ACTIVITY", False)

# --- i18n / time -----------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and media files ------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "media")))

AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME")
AWS_S3_ENDPOINT_URL = env("AWS_S3_ENDPOINT_URL") or None
AWS_S3_REGION_NAME = env("AWS_S3_REGION_NAME", "us-east-1")
AWS_QUERYSTRING_EXPIRE = 300  # presigned download URLs live at most 5 minutes
AWS_S3_SIGNATURE_VERSION = "s3v4"  # SigV4 presigned URLs (X-Amz-Expires); AWS's legacy v2 signing is deprecated
AWS_DEFAULT_ACL = None
AWS_S3_FILE_OVERWRITE = False
ASSET_MAX_UPLOAD_BYTES = int(env("ASSET_MAX_UPLOAD_BYTES", str(200 * 1024 * 1024)))
# Largest image the lesson body editor accepts, and largest .vtt the admin accepts.
LESSON_IMAGE_MAX_BYTES = int(env("LESSON_IMAGE_MAX_BYTES", str(5 * 1024 * 1024)))
TRANSCRIPT_MAX_UPLOAD_BYTES = 2 * 1024 * 1024

if AWS_STORAGE_BUCKET_NAME:
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": AWS_S3_ENDPOINT_URL,
            "region_name": AWS_S3_REGION_NAME,
            "querystring_auth": True,
            "querystring_expire": AWS_QUERYSTRING_EXPIRE,
            "default_acl": None,
            "file_overwrite": False,
        },
    }
else:
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Email -----------------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Syllabus <hello@syllabus.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_URL = env("EMAIL_URL", "console://")
# django-environ's email URL parser, under this project's scheme names (README "Configuration"):
# smtps:// is implicit TLS (environ's smtp+ssl), smtp+tls:// and submission:// are STARTTLS.
_EMAIL_SCHEMES = {
    "console": "consolemail",
    "file": "filemail",
    "locmem": "memorymail",
    "smtps": "smtp+ssl",
    "submission": "smtp+tls",
}
_email_scheme, _, _email_rest = EMAIL_URL.partition("://")
if _email_scheme == "anymail":
    # An ESP through django-anymail, e.g. anymail://postmark with ANYMAIL_POSTMARK_SERVER_TOKEN.
    EMAIL_BACKEND = f"anymail.backends.{_email_rest}.EmailBackend"
else:
    _email = ENV.email_url_config(f"{_EMAIL_SCHEMES.get(_email_scheme, _email_scheme)}://{_email_rest}")
    EMAIL_BACKEND = _email["EMAIL_BACKEND"]
    if EMAIL_BACKEND == "django.core.mail.backends.filebased.EmailBackend":
        EMAIL_FILE_PATH = _email_rest  # file:///var/mail → /var/mail (the parser drops the leading "/")
    elif EMAIL_BACKEND == "django.core.mail.backends.smtp.EmailBackend":
        EMAIL_HOST = _email["EMAIL_HOST"] or "localhost"
        EMAIL_PORT = _email["EMAIL_PORT"] or 587
        EMAIL_HOST_USER = _email["EMAIL_HOST_USER"] or ""
        EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"] or ""
        EMAIL_USE_TLS = bool(_email.get("EMAIL_USE_TLS"))
        EMAIL_USE_SSL = bool(_email.get("EMAIL_USE_SSL"))
        EMAIL_TIMEOUT = 15

# The ESP whose tracking webhook (bounces, complaints) is mounted at /anymail/<esp>/tracking/.
EMAIL_ESP = EMAIL_URL.removeprefix("anymail://") if EMAIL_URL.startswith("anymail://") else ""

# django-anymail: every ANYMAIL_<NAME> variable becomes ANYMAIL["<NAME>"] (the ESP's credentials,
# and WEBHOOK_SECRET "user:password", without which the bounce/complaint webhooks stay unmounted).
ANYMAIL = {key.removeprefix("ANYMAIL_"): value for key, value in ENV.ENVIRON.items() if key.startswith("ANYMAIL_")}

# --- Stripe ----------------------------------------------------------------------------------
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET")
STRIPE_PRICE_MONTHLY = env("STRIPE_PRICE_MONTHLY", "price_monthly_demo")
STRIPE_PRICE_ANNUAL = env("STRIPE_PRICE_ANNUAL", "price_annual_demo")
# Team plans (issue 17): per-seat prices, bought with an adjustable quantity of at least TEAM_MIN_SEATS.
STRIPE_PRICE_TEAM_MONTHLY = env("STRIPE_PRICE_TEAM_MONTHLY", "price_team_monthly_demo")
STRIPE_PRICE_TEAM_ANNUAL = env("STRIPE_PRICE_TEAM_ANNUAL", "price_team_annual_demo")
STRIPE_API_BASE = env("STRIPE_API_BASE")
STRIPE_API_VERSION = "2026-10-28.endive"  # the version stripe 16.x pins
STRIPE_TIMEOUT_SECONDS = float(env("STRIPE_TIMEOUT_SECONDS", "10"))  # per request; a webhook must answer fast
STRIPE_MAX_NETWORK_RETRIES = int(env("STRIPE_MAX_NETWORK_RETRIES", "2"))  # idempotency keys make retries safe
# The worst case of one Stripe call: every try times out, with the library's backoff between tries
# (0.5 s doubling, at most 5 s). It must fit in a provider-event task's soft time limit.
STRIPE_CALL_BUDGET_SECONDS = STRIPE_TIMEOUT_SECONDS * (STRIPE_MAX_NETWORK_RETRIES + 1) + sum(
    min(0.5 * 2**attempt, 5.0) for attempt in range(STRIPE_MAX_NETWORK_RETRIES)
)
STRIPE_WEBHOOK_TOLERANCE_SECONDS = 300  # signatures older than 5 minutes are refused (replay protection)
# Display and MRR amounts in whole dollars (seed: monthly 49, annual 399).
PLAN_PRICE_MONTHLY = 49
PLAN_PRICE_ANNUAL = 399
# Per seat, whole dollars (display, the proration fallback text and MRR); Stripe's price is the truth.
PLAN_PRICE_TEAM_MONTHLY = int(env("PLAN_PRICE_TEAM_MONTHLY", "39"))
PLAN_PRICE_TEAM_ANNUAL = int(env("PLAN_PRICE_TEAM_ANNUAL", "319"))
TEAM_MIN_SEATS = 2
TEAM_MAX_SEATS = 1000  # a bigger order is a conversation with sales, and keeps absurd numbers out
TEAM_INVITATION_DAYS = int(env("TEAM_INVITATION_DAYS", "14"))
REFUND_WINDOW_DAYS = 90

# Revenue and retention (issue 16; README "Trials, the cancel flow and win-back").
STRIPE_TRIAL_DAYS = int(env("STRIPE_TRIAL_DAYS", "0"))  # 0 = no trial; a learner's first subscription only
STRIPE_AUTOMATIC_TAX = env_bool("STRIPE_AUTOMATIC_TAX")  # Stripe Tax on Checkout (address + tax id collection)
STRIPE_RETENTION_COUPON = env("STRIPE_RETENTION_COUPON")  # the cancel flow's one-time discount; unset = not offered
RETENTION_COUPON_LABEL = env("RETENTION_COUPON_LABEL", "50% off your next payment")
CANCEL_OFFER_PAUSE_MAX_MONTHS = int(env("CANCEL_OFFER_PAUSE_MAX_MONTHS", "3"))  # 0 = pausing is not offered
CANCEL_OFFER_SWITCH_PLAN = env_bool("CANCEL_OFFER_SWITCH_PLAN", True)
WINBACK_DELAY_DAYS = int(env("WINBACK_DELAY_DAYS", "14"))
BILLING_INVOICES_CACHE_SECONDS = int(env("BILLING_INVOICES_CACHE_SECONDS", "300"))

# --- Mux -------------------------------------------------------------------------------------
MUX_TOKEN_ID = env("MUX_TOKEN_ID")
MUX_TOKEN_SECRET = env("MUX_TOKEN_SECRET")
MUX_WEBHOOK_SECRET = env("MUX_WEBHOOK_SECRET")
MUX_SIGNING_KEY_ID = env("MUX_SIGNING_KEY_ID")
MUX_SIGNING_PRIVATE_KEY = env("MUX_SIGNING_PRIVATE_KEY")
MUX_PLAYBACK_TOKEN_TTL_SECONDS = 6 * 60 * 60
MUX_WEBHOOK_TOLERANCE_SECONDS = 300
# Where caption (text track) files are fetched from; a local fake in tests, like STRIPE_API_BASE.
MUX_STREAM_BASE = env("MUX_STREAM_BASE", "https://stream.mux.com").rstrip("/")
# Ask Mux for auto-generated captions in this language on every new upload ("" turns it off).
MUX_GENERATED_CAPTIONS_LANGUAGE = env("MUX_GENERATED_CAPTIONS_LANGUAGE", "en")

# --- Celery ----------------------------------------------------------------------------------
# A stored webhook event's task (billing/courses tasks): the soft limit raises in the handler (the
# event is retried by the sweeper), the hard one kills a stuck worker process.
PROVIDER_EVENT_TASK_SOFT_TIME_LIMIT = int(env("PROVIDER_EVENT_TASK_SOFT_TIME_LIMIT", "50"))
PROVIDER_EVENT_TASK_TIME_LIMIT = PROVIDER_EVENT_TASK_SOFT_TIME_LIMIT + 10
if STRIPE_CALL_BUDGET_SECONDS >= PROVIDER_EVENT_TASK_SOFT_TIME_LIMIT:
    raise ValueError(
        f"A Stripe call may take {STRIPE_CALL_BUDGET_SECONDS:.1f} s (STRIPE_TIMEOUT_SECONDS x tries + backoff), "
        f"more than PROVIDER_EVENT_TASK_SOFT_TIME_LIMIT ({PROVIDER_EVENT_TASK_SOFT_TIME_LIMIT} s)."
    )
# Publishing to a broker that is down fails at once instead of retrying for seconds (kombu's default):
# every publish from a request is on-commit and `robust`, and the beat drain / sweeper catch up later.
# (The worker's own reconnects follow broker_connection_* settings, not these.)
REDIS_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "max_retries": 0, "socket_connect_timeout": 2}
# Without REDIS_URL (`make run` on a bare machine) kombu's filesystem transport is the broker.
CELERY_BROKER_DIR = BASE_DIR / ".run" / "broker"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = REDIS_BROKER_TRANSPORT_OPTIONS
else:
    # A hostname, though the filesystem transport ignores it: without one kombu warns "No hostname was supplied".
    CELERY_BROKER_URL = "filesystem://localhost/"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "out"),
        "data_folder_out": str(CELERY_BROKER_DIR / "out"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        # kombu keeps its exchange tables here; its default is `control/` in the working directory.
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
# How often beat asks for a drain of due emails (every minute; shorter only for tests of the running system).
EMAIL_DRAIN_INTERVAL_SECONDS = float(env("EMAIL_DRAIN_INTERVAL_SECONDS", "60"))
# How often beat writes the buffered lesson views to the events table (analytics/buffer.py).
ANALYTICS_EVENT_FLUSH_SECONDS = float(env("ANALYTICS_EVENT_FLUSH_SECONDS", "5"))
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    # Sends every due email row; the time-based triggers are rows queued ahead, so this is the only
    # periodic email job. `expires`: ticks missed while no worker ran are dropped, not piled up.
    "email-queue-drain": {
        "task": "emails.tasks.email_queue_drain",
        "schedule": EMAIL_DRAIN_INTERVAL_SECONDS,
        "options": {"expires": max(EMAIL_DRAIN_INTERVAL_SECONDS - 5, 1)},
    },
    # Stored webhook events left unprocessed (a lost task, a broker outage) or due for a retry.
    "stripe-events-sweep": {"task": "billing.tasks.stripe_events_sweep", "schedule": 60.0, "options": {"expires": 55}},
    "mux-events-sweep": {"task": "courses.tasks.mux_events_sweep", "schedule": 60.0, "options": {"expires": 55}},
    # Dashboard rollups of whole days + today's MRR snapshot (analytics/tasks.py).
    "analytics-rollup": {"task": "analytics.tasks.analytics_rollup", "schedule": 3600.0},
    # Signed-in lesson views, buffered in Redis by the request (analytics/buffer.py), written in one INSERT.
    "analytics-events-flush": {
        "task": "analytics.tasks.analytics_events_flush",
        "schedule": ANALYTICS_EVENT_FLUSH_SECONDS,
        "options": {"expires": max(ANALYTICS_EVENT_FLUSH_SECONDS - 1, 1)},
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = str(BASE_DIR / ".run" / "celerybeat-schedule")

# --- Celery queues ---------------------------------------------------------------------------
# One queue per kind of work, so a slow rollup never delays a payment-failed email: `emails` (sends and the
# drain), `webhooks` (processing stored provider events), `analytics` (rollups) and `default` (the rest).
# A worker started without -Q consumes every queue below (make run, the tests); production runs a worker
# per queue (docker-compose.yml).
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_QUEUE_NAMES = ("default", "emails", "webhooks", "analytics")
CELERY_TASK_QUEUES = [Queue(name, routing_key=name) for name in CELERY_QUEUE_NAMES]
CELERY_TASK_ROUTES = {
    "emails.tasks.*": {"queue": "emails"},
    "billing.tasks.*": {"queue": "webhooks"},
    "courses.tasks.*": {"queue": "webhooks"},
    # Every few seconds and quick: not behind an hourly rollup on the analytics queue's single worker.
    "analytics.tasks.analytics_events_flush": {"queue": "default"},
    "analytics.tasks.*": {"queue": "analytics"},
}

# --- Operations: request ids, metrics, error reporting --------------------------------------------
DJANGO_GUID = {
    "GUID_HEADER_NAME": "X-Request-ID",  # a load balancer's id is kept when it is a valid UUID
    "RETURN_HEADER": True,
    # Tasks carry the id of the request that queued them (a message header); the worker logs with it.
    "INTEGRATIONS": [CeleryIntegration(use_django_logging=True, log_parent=True)],
    "IGNORE_URLS": ["healthz", "readyz", "metrics"],
}
# /metrics (Prometheus) answers only to `Authorization: Bearer <METRICS_TOKEN>`; unset, it is a 404.
METRICS_TOKEN = env("METRICS_TOKEN")
SENTRY_DSN = env("SENTRY_DSN")
SENTRY_ENVIRONMENT = env("SENTRY_ENVIRONMENT", "production")
SENTRY_TRACES_SAMPLE_RATE = float(env("SENTRY_TRACES_SAMPLE_RATE", "0"))
if SENTRY_DSN:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration as SentryCeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=SENTRY_ENVIRONMENT,
        integrations=[DjangoIntegration(), SentryCeleryIntegration()],
        traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE,
        send_default_pii=False,  # learners' emails and addresses stay out of the error tracker
    )

# --- Community: lesson Q&A, notes, certificates ---------------------------------------------------
# Posting limits per learner (django-ratelimit's "count/period" syntax, counted in the default cache).
# A cache outage lets posts through (RATELIMIT_FAIL_OPEN): the limit is spam protection, not access control.
QA_POST_RATE = env("QA_POST_RATE", "10/10m")
NOTES_POST_RATE = env("NOTES_POST_RATE", "60/10m")
RATELIMIT_FAIL_OPEN = True
# The course's name on certificates, their public page and LinkedIn's "add to profile".
COURSE_TITLE = env("COURSE_TITLE", "The Syllabus course")
CERTIFICATE_ISSUER = env("CERTIFICATE_ISSUER", "Syllabus")
# A TrueType font for names outside Latin-1 on the PDF and share image (DejaVu where installed);
# without one, the PDF falls back to the built-in Helvetica.
CERTIFICATE_FONT_PATH = env("CERTIFICATE_FONT_PATH", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
CERTIFICATE_FONT_BOLD_PATH = env("CERTIFICATE_FONT_BOLD_PATH", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")

# --- Logging ---------------------------------------------------------------------------------
# `LOG_FORMAT=json` (production's default) writes one JSON object per line for a log pipeline; every line
# of a request, and of the Celery tasks it queued, carries the same `correlation_id` (the request id).
LOG_FORMAT = env("LOG_FORMAT", "plain")
if LOG_FORMAT not in {"plain", "json"}:
    raise ValueError("LOG_FORMAT must be 'plain' or 'json'.")
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "correlation_id": {"()": "django_guid.log_filters.CorrelationId"},
        "celery_tracing": {"()": "django_guid.integrations.celery.log_filters.CeleryTracing"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s [%(correlation_id)s] %(name)s: %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s %(correlation_id)s %(celery_current_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["correlation_id", "celery_tracing"],
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "django_guid": {"level": "WARNING"}},
}
