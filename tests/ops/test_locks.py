"""Several beat schedulers fire the same hourly rollup: one run at a time, the others return at once."""

from __future__ import annotations

import psycopg
import pytest

from analytics.models import MrrSnapshot
from analytics.tasks import analytics_rollup
from config.locks import _lock_key
from tests.processes import committed_database_url

pytestmark = pytest.mark.django_db


def test_a_rollup_tick_while_another_runs_does_nothing_then_the_next_runs():
    key = _lock_key("analytics.tasks.analytics_rollup")
    # Another instance's rollup, holding the lock on its own database session.
    with psycopg.connect(committed_database_url(), autocommit=True) as other:
        assert other.execute("SELECT pg_try_advisory_lock(%s)", [key]).fetchone()[0] is True
        assert analytics_rollup() == {"skipped": "another rollup is running"}
        assert not MrrSnapshot.objects.exists()
        other.execute("SELECT pg_advisory_unlock(%s)", [key])

    result = analytics_rollup()
    assert "skipped" not in result
    assert MrrSnapshot.objects.count() == 1
    # The lock was released after the run: the next tick runs too.
    assert "skipped" not in analytics_rollup()
