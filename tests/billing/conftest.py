from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.billing.fake_stripe import FakeStripe, start_fake_stripe


@pytest.fixture(autouse=True)
def _stripe_stays_local(settings: Any) -> None:
    """No billing test can reach api.stripe.com: unless it asks for the fake, Stripe is a closed local port."""
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"
    settings.STRIPE_MAX_NETWORK_RETRIES = 0


@pytest.fixture(scope="session")
def _fake_stripe_server() -> Iterator[FakeStripe]:
    fake, server = start_fake_stripe()
    yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture
def fake_stripe(_fake_stripe_server: FakeStripe, settings: Any) -> FakeStripe:
    """The fake Stripe, emptied, with the client module pointed at it through STRIPE_API_BASE."""
    _fake_stripe_server.reset()
    settings.STRIPE_API_BASE = _fake_stripe_server.url
    return _fake_stripe_server
