"""The benchmarks' scratch databases: each benchmark works in a PostgreSQL database of its own, created on
the server `DATABASE_URL` names (never a test database)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dj_database_url
import psycopg
from psycopg import sql


def _admin(settings_dict: Mapping[str, Any]) -> psycopg.Connection[Any]:
    return psycopg.connect(
        host=settings_dict.get("HOST") or "127.0.0.1",
        port=int(settings_dict.get("PORT") or 5432),
        user=settings_dict.get("USER") or "postgres",
        password=settings_dict.get("PASSWORD") or None,
        dbname="postgres",
        autocommit=True,
    )


def scratch_database_ensure(server: Mapping[str, Any] | str, name: str, *, fresh: bool = False) -> None:
    """Create database `name` on `server` (Django's settings dict for a database, or a database URL) unless
    it exists; `fresh` drops it first."""
    settings_dict = dj_database_url.parse(server) if isinstance(server, str) else server
    with _admin(settings_dict) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and fresh:
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
            exists = None
        if not exists:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
