# The local fake Stripe (tests/billing/conftest.py) for the journey through Checkout.
from tests.billing.conftest import _fake_stripe_server, fake_stripe  # noqa: F401
