"""Readiness (/readyz): may this instance take traffic? Database reachable with every migration applied,
the cache answering a write and a read, the Celery broker accepting a connection.

Liveness stays /healthz (config/health.py): a process that is alive but not ready (a new release started
before its migrations ran, Redis away) is taken out of the load balancer, not restarted.
"""

from __future__ import annotations

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from kombu import Connection

from config.celery import app as celery_app

BROKER_TIMEOUT_SECONDS = 2

# Migrations are never un-applied under a running release, so once they are all applied this process need
# not ask again (the check reads every migration file; seconds of CPU on each probe otherwise).
_migrations_applied = False


def check_migrations() -> str:
    global _migrations_applied
    if _migrations_applied:
        return "ok"
    try:
        connection = connections[DEFAULT_DB_ALIAS]
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
        return f"unavailable: {exc.__class__.__name__}"
    if plan:
        return f"unavailable: {len(plan)} migration{'s' if len(plan) != 1 else ''} not applied"
    _migrations_applied = True
    return "ok"


def check_database() -> str:
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001
        return f"unavailable: {exc.__class__.__name__}"
    return "ok"


def check_cache() -> str:
    try:
        cache.set("readyz:probe", "1", timeout=10)
        if cache.get("readyz:probe") != "1":
            return "unavailable: wrote a key and could not read it back"
    except Exception as exc:  # noqa: BLE001
        return f"unavailable: {exc.__class__.__name__}"
    return "ok"


def check_broker() -> str:
    url = celery_app.conf.broker_url
    try:
        with Connection(
            url,
            connect_timeout=BROKER_TIMEOUT_SECONDS,
            transport_options=celery_app.conf.broker_transport_options,
        ) as conn:
            conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)
    except Exception as exc:  # noqa: BLE001
        return f"unavailable: {exc.__class__.__name__}"
    return "ok"


def readiness() -> dict[str, str]:
    database = check_database()
    return {
        "database": database,
        "migrations": check_migrations() if database == "ok" else "unknown: database unavailable",
        "cache": check_cache(),
        "broker": check_broker(),
    }
