"""The local demo member's subscription (`manage.py seed_demo`), written the way the webhooks write one."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from billing.models import Subscription
from billing.selectors import subscription_for
from billing.services.sync import subscription_sync
from billing.stripe_client import StripeSubscription

if TYPE_CHECKING:
    from accounts.models import User


def demo_subscription_ensure(*, user: User, now: datetime | None = None) -> Subscription:
    """A local demo member's ACTIVE monthly subscription, written by `subscription_sync` exactly as the
    checkout webhooks leave a new subscriber's row (events, renewal reminder and all). Ids are local
    (`cus_demo_…`, `sub_demo_…`): never sent to Stripe. Idempotent: an existing row is kept as it is."""
    existing = subscription_for(user)
    if existing is not None and existing.stripe_subscription_id.startswith("sub_demo_"):
        return existing
    now = now or timezone.now()
    remote = StripeSubscription(
        id=f"sub_demo_{user.pk}",
        customer_id=f"cus_demo_{user.pk}",
        status="active",
        price_id=settings.STRIPE_PRICE_MONTHLY,
        interval="month",
        current_period_start=now,
        current_period_end=now + timedelta(days=30),
        cancel_at_period_end=False,
        canceled_at=None,
        created=now,
        user_id=user.pk,
    )
    with transaction.atomic():
        return subscription_sync(remote=remote, synced_at=now, user=user)
