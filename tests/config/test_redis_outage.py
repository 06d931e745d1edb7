"""Redis down (cache and broker: one private redis-server, killed mid-test) never breaks a page or a
form: sign-up, sign-in and password reset work with rate limits degraded (a logged warning),
/healthz says 503 naming redis, and the emails queued meanwhile go out through the drain once
Redis is back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache

from config.celery import app as celery_app
from emails.models import EmailQueue, EmailStatus, EmailTemplate
from emails.tasks import email_queue_drain
from tests.accounts.conftest import STRONG_PASSWORD, login, signup
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory
from tests.processes import RedisServer, redis_server

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def redis(tmp_path: Path, settings: Any) -> Iterator[RedisServer]:
    """A private redis-server as the site's cache and broker, publishing for real (not eager)."""
    original = (settings.REDIS_URL, settings.CACHES)
    with redis_server(tmp_path) as server:
        settings.REDIS_URL = server.url
        settings.CACHES = {
            "default": {"BACKEND": "config.cache.FailOpenRedisCache", "LOCATION": server.url, "KEY_PREFIX": "outage"}
        }
        saved = (celery_app.conf.broker_url, celery_app.conf.task_always_eager)
        celery_app.conf.broker_url = server.url
        celery_app.conf.task_always_eager = False
        celery_app._after_fork()
        try:
            yield server
        finally:
            celery_app.conf.broker_url, celery_app.conf.task_always_eager = saved
            celery_app._after_fork()
            # Back to the suite's Redis before the shared fixtures clear the cache.
            settings.REDIS_URL, settings.CACHES = original


def test_with_redis_down_sign_up_sign_in_and_reset_work_and_mail_waits_for_the_drain(
    client: Any, redis: RedisServer, mailoutbox: list[Any], caplog: Any
) -> None:
    member = UserFactory(email="member@example.com")
    cache.set("probe", 1)
    assert cache.get("probe") == 1  # the cache is this Redis

    redis.stop()
    assert client.get("/").status_code == 200
    assert client.get("/pricing/").status_code == 200
    assert client.get("/accounts/login/").status_code == 200

    response = signup(client, "new.learner@example.com")
    assert response.status_code == 302 and response["Location"] == "/onboarding/"
    client.logout()
    assert login(client, member.email, DEFAULT_PASSWORD).status_code == 302
    client.logout()
    assert client.post("/accounts/password/reset/", {"email": member.email}).status_code == 302
    assert login(client, "new.learner@example.com", STRONG_PASSWORD).status_code == 302

    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.json()["redis"].startswith("unreachable")
    assert health.json()["database"] == "ok"
    assert "Redis cache unreachable" in caplog.text and "rate limits are not enforced" in caplog.text

    # The WELCOME due now could not be handed to a worker; it waits in the queue, nothing lost.
    welcome = EmailQueue.objects.get(user__email="new.learner@example.com", template=EmailTemplate.WELCOME)
    assert welcome.status == EmailStatus.PENDING
    assert not any(m.subject.startswith("Welcome") for m in mailoutbox)

    redis.start()
    assert client.get("/healthz").status_code == 200
    email_queue_drain.run()  # the beat's next tick, now that the broker delivers it
    welcome.refresh_from_db()
    assert welcome.status == EmailStatus.SENT
    assert [m.to for m in mailoutbox if m.subject.startswith("Welcome")] == [["new.learner@example.com"]]


def test_rate_limits_hold_again_once_redis_is_back(client: Any, redis: RedisServer, settings: Any) -> None:
    """The degradation lasts as long as the outage: with Redis up, allauth's limits answer 429 again."""
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "reset_password": "2/m/ip"}
    redis.stop()
    codes = [client.post("/accounts/password/reset/", {"email": f"a{n}@example.com"}).status_code for n in range(4)]
    assert codes == [302, 302, 302, 302]
    redis.start()
    codes = [client.post("/accounts/password/reset/", {"email": f"b{n}@example.com"}).status_code for n in range(3)]
    assert codes == [302, 302, 429]
