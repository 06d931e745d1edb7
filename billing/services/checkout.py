"""Checkout and the Customer Portal: where a learner starts paying and manages what they pay."""

from __future__ import annotations

from typing import TYPE_CHECKING

from analytics.models import EventName
from analytics.services import event_track
from billing import stripe_client
from billing.models import SubscriptionPlan
from billing.plans import plan_price_id
from billing.selectors import subscription_for

if TYPE_CHECKING:
    from accounts.models import User


class NoSubscription(Exception):
    pass


def checkout_start(*, user: User, plan: SubscriptionPlan, success_url: str, cancel_url: str) -> str:
    """Open a Stripe Checkout Session for `plan` and return its URL. The learner's existing Stripe
    customer is reused. Records `checkout_started`. Raises StripeUnavailable."""
    subscription = subscription_for(user)
    session = stripe_client.checkout_session_create(
        price_id=plan_price_id(plan),
        user_id=user.pk,
        email=user.email,
        customer_id=subscription.stripe_customer_id if subscription else None,
        success_url=success_url,
        cancel_url=cancel_url,
    )
    event_track(name=EventName.CHECKOUT_STARTED, user=user, properties={"plan": str(plan), "session": session.id})
    return session.url


def portal_session_start(*, user: User, return_url: str) -> str:
    """A Customer Portal session for the learner's Stripe customer. Raises NoSubscription, StripeUnavailable."""
    subscription = subscription_for(user)
    if subscription is None or not subscription.stripe_customer_id:
        raise NoSubscription("There is no subscription to manage yet.")
    return stripe_client.portal_session_create(customer_id=subscription.stripe_customer_id, return_url=return_url)
