from tests.billing.conftest import _fake_stripe_server, fake_stripe  # noqa: F401 — the local Stripe fake
