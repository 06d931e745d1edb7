"""Fixtures shared by every app's tests. Factories live in tests/<app>/factories.py."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings

from config.cache import FailOpenRedisCache
from tests.accounts.factories import UserFactory
from tests.billing.factories import SubscriptionFactory
from tests.courses.factories import LessonFactory, ModuleFactory

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


def pytest_sessionstart(session: pytest.Session) -> None:
    """Fail with a sentence, not a traceback, when PostgreSQL or Redis is not there."""
    import psycopg
    import redis

    db = settings.DATABASES["default"]
    try:
        psycopg.connect(
            host=db.get("HOST") or "127.0.0.1",
            port=int(db.get("PORT") or 5432),
            user=db.get("USER") or "postgres",
            password=db.get("PASSWORD") or None,
            dbname="postgres",
            connect_timeout=3,
        ).close()
    except psycopg.OperationalError as exc:
        pytest.exit(
            f"PostgreSQL is not reachable at {db.get('HOST')}:{db.get('PORT')} ({exc.__class__.__name__}). "
            "Start it (pg_ctlcluster 15 main start) or set DATABASE_URL.",
            returncode=3,
        )
    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        pytest.exit(
            f"Redis is not reachable at {settings.REDIS_URL} ({exc.__class__.__name__}). "
            "Start redis-server or set REDIS_URL.",
            returncode=3,
        )


@pytest.fixture(autouse=True)
def _isolated_cache_and_media(settings: Any, tmp_path: Any) -> Iterator[None]:
    """Each test starts with an empty cache (rate limits!) and its own media folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    _cache_clear()
    # The outage warning is rate-limited per process: an outage in one test must not mute the next test's.
    FailOpenRedisCache._last_warning = 0.0
    yield
    _cache_clear()


def _cache_clear() -> None:
    """Delete this run's cache keys only. Django's `cache.clear()` is FLUSHDB: it would also wipe a
    developer's own data, the Celery broker's queues, and a parallel run's rate-limit counters."""
    import redis

    prefix = settings.CACHES["default"]["KEY_PREFIX"]
    client = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)


@pytest.fixture(autouse=True)
def _stripe_stays_local(settings: Any) -> None:
    """No test reaches api.stripe.com: Stripe is a closed local port unless a test points it at the
    fake (tests/billing/conftest.py's `fake_stripe`). No retries, so a forgotten call fails fast."""
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"
    settings.STRIPE_MAX_NETWORK_RETRIES = 0


@pytest.fixture
def user(db: None) -> Any:
    return UserFactory(onboarding_complete=True)


@pytest.fixture
def new_user(db: None) -> Any:
    """Signed up, not yet onboarded."""
    return UserFactory(onboarding_complete=False)


@pytest.fixture
def admin_user(db: None) -> Any:
    return UserFactory(admin=True)


@pytest.fixture
def subscriber(db: None) -> Any:
    """An onboarded learner with an ACTIVE monthly subscription."""
    return SubscriptionFactory(user__onboarding_complete=True).user


@pytest.fixture
def course(db: None) -> dict[str, Any]:
    """Two published modules of three published lessons each; lesson 1 of module 1 is free."""
    modules = [ModuleFactory(order=1, published=True), ModuleFactory(order=2, published=True)]
    lessons = []
    for module in modules:
        for order in (1, 2, 3):
            lessons.append(
                LessonFactory(module=module, order=order, published=True, is_free=module.order == 1 and order == 1)
            )
    return {"modules": modules, "lessons": lessons, "free_lesson": lessons[0]}


@dataclass
class S3Server:
    endpoint: str
    bucket: str
    client: Any


@pytest.fixture
def s3(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[S3Server]:
    """moto's S3 server on 127.0.0.1 (a real S3 API on loopback), an empty private bucket, and the
    default storage pointed at it the way production settings do when AWS_STORAGE_BUCKET_NAME is set."""
    import socket
    import urllib.request

    import boto3
    from moto.server import ThreadedMotoServer

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    # moto keeps its backends in process memory across server instances: start each test from empty.
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=10).close()
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    bucket = "syllabus-lesson-files"
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=bucket)
    settings.AWS_STORAGE_BUCKET_NAME = bucket
    settings.AWS_S3_ENDPOINT_URL = endpoint
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": bucket,
                "endpoint_url": endpoint,
                "region_name": "us-east-1",
                "querystring_auth": True,
                "querystring_expire": settings.AWS_QUERYSTRING_EXPIRE,
                "default_acl": None,
                "file_overwrite": False,
            },
        },
    }
    try:
        yield S3Server(endpoint=endpoint, bucket=bucket, client=client)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """Before the test database is dropped, end the connections the live server's request threads still
    hold (a request the browser abandoned on close), so teardown never finds the database in use."""
    yield
    from django.db import connection

    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


def browser_sign_in(page: Any, live_server: Any, user: Any) -> None:
    """Share a Django session with the browser (the login form itself is tested by the accounts app)."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])


def _leaves_the_machine(url: str) -> bool:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.scheme in {"http", "https", "ws", "wss"} and parts.hostname not in {"localhost", "127.0.0.1", "::1"}


@pytest.fixture
def browser_page(live_server: Any) -> Iterator[Any]:
    """A Playwright page in Debian's Chromium, pointed at the live server (tests marked `browser`)."""
    from playwright import sync_api as playwright_api

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium).")
    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes are still sync.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(base_url=live_server.url)
        # Nothing leaves the machine: a request to any host but this one (Mux's streams, images and data
        # beacons) fails at once instead of waiting on DNS. Loopback servers a test starts (a fake upload
        # endpoint) still answer, and a test's own page.route (a Stripe stand-in) takes precedence.
        context.route(_leaves_the_machine, lambda route: route.abort())
        page = context.new_page()
        page.set_default_timeout(10_000)
        # Every browser journey doubles as a Content-Security-Policy check: Chromium reports each
        # blocked script, style, image or connection on the console.
        violations: list[str] = []
        page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
        try:
            yield page
        finally:
            context.close()
            browser.close()
        assert violations == [], "Content-Security-Policy violations:\n" + "\n".join(violations)
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
