"""Billing for team seats (issue 17): Checkout with an adjustable quantity, the proration preview and the
quantity change. Kept beside `billing.services` (which it reuses for the one convergent sync) so team
billing stays billing's, and `teams` calls it like any other app would."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from analytics.models import EventName
from analytics.services import event_track
from billing import stripe_client
from billing.models import Subscription, SubscriptionPlan
from billing.plans import team_plan_get
from billing.services.sync import _lock_subscription_id, subscription_sync

if TYPE_CHECKING:
    from accounts.models import User

InvoicePreview = stripe_client.InvoicePreview


def team_price_id(plan: SubscriptionPlan | str) -> str:
    return team_plan_get(plan).stripe_price_id


def team_checkout_start(
    *,
    team_id: str,
    user: User,
    plan: SubscriptionPlan,
    seats: int,
    customer_id: str | None,
    success_url: str,
    cancel_url: str,
) -> str:
    """A Checkout Session for `seats` seats (adjustable on Stripe's page, never below TEAM_MIN_SEATS).
    Records `checkout_started`. Raises StripeUnavailable."""
    session = stripe_client.team_checkout_session_create(
        price_id=team_price_id(plan),
        quantity=seats,
        min_quantity=settings.TEAM_MIN_SEATS,
        max_quantity=settings.TEAM_MAX_SEATS,
        team_id=team_id,
        user_id=user.pk,
        email=user.email,
        customer_id=customer_id,
        success_url=success_url,
        cancel_url=cancel_url,
    )
    event_track(
        name=EventName.CHECKOUT_STARTED,
        user=user,
        properties={"plan": str(plan), "team": team_id, "seats": seats, "session": session.id},
    )
    return session.url


def seats_preview(*, subscription: Subscription, seats: int) -> InvoicePreview:
    """What changing to `seats` seats costs now (Stripe's prorated invoice preview). Raises StripeUnavailable."""
    remote = stripe_client.subscription_retrieve(subscription.stripe_subscription_id)
    return stripe_client.subscription_quantity_preview(
        subscription_id=remote.id, item_id=remote.item_id, quantity=seats
    )


def seats_update(*, subscription: Subscription, seats: int, proration_date: int) -> Subscription:
    """Change the paid seats at Stripe (prorated at the previewed `proration_date`, invoiced now) and sync
    the row from Stripe's answer under the subscription's lock; the webhook that follows converges to the
    same state. Raises StripeUnavailable."""
    remote = stripe_client.subscription_retrieve(subscription.stripe_subscription_id)
    synced_at = timezone.now()
    updated = stripe_client.subscription_quantity_update(
        subscription_id=remote.id,
        item_id=remote.item_id,
        quantity=seats,
        proration_date=proration_date,
        idempotency_key=f"seats:{remote.id}:{seats}:{proration_date}",
    )
    with transaction.atomic():
        _lock_subscription_id(remote.id)
        return subscription_sync(remote=updated, synced_at=synced_at)


def team_portal_start(*, subscription: Subscription, return_url: str) -> str:
    """A Customer Portal session for the team's Stripe customer (card, invoices, cancel). Raises StripeUnavailable."""
    return stripe_client.portal_session_create(customer_id=subscription.stripe_customer_id, return_url=return_url)
