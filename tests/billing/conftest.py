from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.billing.fake_stripe import FakeStripe, start_fake_stripe


@pytest.fixture(scope="session")
def _fake_stripe_server() -> Iterator[FakeStripe]:
    fake, server = start_fake_stripe()
    yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture
def fake_stripe(_fake_stripe_server: FakeStripe, settings: Any) -> FakeStripe:
    """The fake Stripe, emptied, with the client module pointed at it through STRIPE_API_BASE.
    (Without it, tests/conftest.py points Stripe at a closed local port: nothing leaves the machine.)"""
    _fake_stripe_server.reset()
    settings.STRIPE_API_BASE = _fake_stripe_server.url
    return _fake_stripe_server
