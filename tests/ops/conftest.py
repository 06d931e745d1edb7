from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.billing.conftest import _fake_stripe_server, fake_stripe  # noqa: F401 - the billing fixtures, reused
from tests.processes import RedisServer, redis_server


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test's own on a spare port, so the test can stop it (never the shared one)."""
    with redis_server(tmp_path) as server:
        yield server
