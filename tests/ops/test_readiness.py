"""/readyz: 200 only when the database (with every migration applied), the cache and the broker answer;
503 naming what does not. Each failure is the real part stopped or missing, not a mock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.management import call_command
from django.db.migrations.loader import MigrationLoader

from config.celery import app as celery_app
from ops import readiness

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _forget_migrations() -> Iterator[None]:
    readiness._migrations_applied = False
    yield
    readiness._migrations_applied = False


@pytest.fixture
def broker_at() -> Iterator[object]:
    saved = celery_app.conf.broker_url

    def point(url: str) -> None:
        celery_app.conf.broker_url = url

    yield point
    celery_app.conf.broker_url = saved


def test_ready_when_everything_answers(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "database": "ok",
        "migrations": "ok",
        "cache": "ok",
        "broker": "ok",
    }
    assert response["Cache-Control"].startswith("max-age=0")


def test_not_ready_naming_the_cache_when_its_redis_stops(client, settings, private_redis):
    shared = settings.CACHES
    settings.CACHES = {"default": {**shared["default"], "LOCATION": private_redis.url}}
    try:
        assert client.get("/readyz").status_code == 200

        private_redis.stop()
        response = client.get("/readyz")
        assert response.status_code == 503
        body = response.json()
        assert body["status"] == "unavailable"
        assert body["cache"].startswith("unavailable")
        assert body["database"] == body["migrations"] == body["broker"] == "ok"
    finally:
        settings.CACHES = shared  # the suite's own cache again, before its teardown clears its keys


def test_not_ready_naming_the_broker_when_it_stops(client, private_redis, broker_at):
    broker_at(private_redis.url)
    assert client.get("/readyz").json()["broker"] == "ok"

    private_redis.stop()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["broker"].startswith("unavailable")
    assert response.json()["cache"] == "ok"


@pytest.mark.django_db(transaction=True)
def test_not_ready_until_every_migration_is_applied(client):
    """A release started before its migration job ran stays out of the load balancer."""
    # Take the latest analytics migration back (whichever it is), then apply it again.
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    [latest] = graph.leaf_nodes("analytics")
    [previous] = graph.node_map[latest].parents
    call_command("migrate", "analytics", previous.key[1], verbosity=0)
    try:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["migrations"] == "unavailable: 1 migration not applied"
    finally:
        call_command("migrate", "analytics", verbosity=0)
    assert client.get("/readyz").status_code == 200


def test_readyz_only_answers_get(client):
    assert client.post("/readyz").status_code == 405
