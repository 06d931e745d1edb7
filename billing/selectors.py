"""Reads of billing state. `has_access` is the one rule every paid thing goes through."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Count, Q
from django.utils import timezone

from billing.models import Subscription, SubscriptionPlan, SubscriptionStatus
from billing.plans import mrr_amount

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


def subscription_for(user: User | AnonymousUser) -> Subscription | None:
    """The user's subscription or None. Cached on the user instance by Django's reverse
    one-to-one descriptor, so repeated calls in one request cost one query at most."""
    if not user.is_authenticated:
        return None
    try:
        return user.subscription
    except ObjectDoesNotExist:
        return None


def has_access(user: User | AnonymousUser) -> bool:
    """May this user watch paid lessons, fetch their tokens and download their files?

    DESIGN.md §4: `access_override`, or a subscription that is ACTIVE, TRIALING or PAST_DUE
    (the seed's grace period). Admins see everything.
    """
    if not user.is_authenticated or not user.is_active:
        return False
    if user.access_override or user.is_staff:
        return True
    subscription = subscription_for(user)
    return subscription is not None and subscription.grants_access


def is_refund_eligible(subscription: Subscription, *, now: datetime | None = None) -> bool:
    """Seed §9: refundable while at most 90 whole days have passed since the subscription was created."""
    now = now or timezone.now()
    return (now - subscription.created_at).days <= settings.REFUND_WINDOW_DAYS


def mrr() -> Decimal:
    """Monthly recurring revenue in dollars: the seed's query — 49 per ACTIVE monthly and
    399/12 per ACTIVE annual subscription (amounts from `billing.plans`). One query."""
    counts = Subscription.objects.filter(status=SubscriptionStatus.ACTIVE).aggregate(
        monthly=Count("pk", filter=Q(plan=SubscriptionPlan.MONTHLY)),
        annual=Count("pk", filter=Q(plan=SubscriptionPlan.ANNUAL)),
    )
    return mrr_amount(monthly=counts["monthly"], annual=counts["annual"])


def is_past_due(user: User | AnonymousUser) -> bool:
    """Show the dunning banner? The learner's subscription is PAST_DUE (access continues)."""
    subscription = subscription_for(user)
    return subscription is not None and subscription.status == SubscriptionStatus.PAST_DUE
