"""pytest: PostgreSQL and Redis, always (DESIGN.md §10)."""

import dj_database_url

from .base import *  # noqa: F403
from .base import env

DATABASE_URL = env("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/syllabus")
REDIS_URL = env("REDIS_URL", "redis://127.0.0.1:6379/0")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL)}
# Parallel runs (several checkouts on one machine) each get their own test database.
DATABASES["default"]["TEST"] = {"NAME": env("TEST_DATABASE_NAME", "test_syllabus")}
CACHES = {
    "default": {
        "BACKEND": "config.cache.FailOpenRedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env("CACHE_KEY_PREFIX", "syllabus-test"),
    }
}
CELERY_BROKER_URL = REDIS_URL
CELERY_BROKER_TRANSPORT_OPTIONS = REDIS_BROKER_TRANSPORT_OPTIONS
# Tasks run inline in tests; the tests about the worker start a real one on Redis.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True

DEBUG = False
SECRET_KEY = "test-secret-key-not-for-production-0123456789abcdef"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
ANYMAIL = {"WEBHOOK_SECRET": "anymail-test:webhook-secret"}  # mounts /anymail/postmark/tracking/ (tests/emails)
EMAIL_ESP = "postmark"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = BASE_DIR / ".run" / "test-media"
SITE_URL = "http://testserver"
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
STRIPE_SECRET_KEY = "sk_test_syllabus"
STRIPE_WEBHOOK_SECRET = "whsec_test_syllabus"
STRIPE_PRICE_MONTHLY = "price_monthly_test"
STRIPE_PRICE_ANNUAL = "price_annual_test"
MUX_TOKEN_ID = "mux-token-id"
MUX_TOKEN_SECRET = "mux-token-secret"
MUX_WEBHOOK_SECRET = "mux-webhook-secret"
LOGGING = {**LOGGING, "root": {"handlers": ["console"], "level": "WARNING"}}
