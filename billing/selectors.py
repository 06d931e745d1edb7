"""Reads of billing state. `has_access` is the one rule every paid thing goes through."""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from billing.models import Subscription, SubscriptionPlan, SubscriptionStatus
from billing.plans import mrr_amount
from teams.selectors import team_seat_grants_access

logger = logging.getLogger(__name__)

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


# The placeholders config/settings/base.py falls back to when the price ids are not set.
PLACEHOLDER_PRICE_IDS = frozenset({"price_monthly_demo", "price_annual_demo"})


def stripe_missing_settings() -> list[str]:
    """The Stripe settings Checkout needs that are not set here (empty when payments can work)."""
    missing = [name for name in ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET") if not getattr(settings, name, "")]
    for name in ("STRIPE_PRICE_MONTHLY", "STRIPE_PRICE_ANNUAL"):
        if getattr(settings, name, "") in PLACEHOLDER_PRICE_IDS or not getattr(settings, name, ""):
            missing.append(name)
    return missing


def stripe_setup_notice() -> list[str]:
    """Under DEBUG, the Stripe settings that are missing (pricing and the paywall say so plainly, and the log
    names them); empty otherwise. Production refuses to start without them, so learners never see this."""
    if not settings.DEBUG:
        return []
    missing = stripe_missing_settings()
    if missing:
        logger.warning(
            "Stripe is not configured (%s not set): Checkout cannot start. See README 'Try payments locally'.",
            ", ".join(missing),
        )
    return missing


def subscription_by_id(subscription_id: str) -> Subscription | None:
    return Subscription.objects.filter(pk=subscription_id).first()


def has_access(user: User | AnonymousUser) -> bool:
    """May this user watch paid lessons, fetch their tokens and download their files?

    DESIGN.md §4/§12: `access_override`, or an own subscription that is ACTIVE, TRIALING or PAST_DUE
    (the seed's grace period), or a seat in a team whose subscription is. Admins see everything.
    """
    if not user.is_authenticated or not user.is_active:
        return False
    if user.access_override or user.is_staff:
        return True
    subscription = subscription_for(user)
    if subscription is not None and subscription.grants_access:
        return True
    # Issue 17 (DESIGN.md §12): otherwise a seat in a team whose subscription is ACTIVE, TRIALING or
    # PAST_DUE grants access — asked only after the learner's own subscription (one query, cached on the
    # user instance for the request), whatever state that own subscription is in.
    return team_seat_grants_access(user)


def is_refund_eligible(subscription: Subscription, *, now: datetime | None = None) -> bool:
    """Seed §9: refundable while at most 90 whole days have passed since the subscription was created."""
    now = now or timezone.now()
    return (now - subscription.created_at).days <= settings.REFUND_WINDOW_DAYS


def mrr() -> Decimal:
    """Monthly recurring revenue in dollars: the seed's query — 49 per ACTIVE monthly and
    399/12 per ACTIVE annual subscription — plus, issue 17, each ACTIVE team's seats (its item quantity)
    at the per-seat team price (amounts from `billing.plans`). One query."""
    own = Q(team__isnull=True)
    team = Q(team__isnull=False)
    counts = Subscription.objects.filter(status=SubscriptionStatus.ACTIVE).aggregate(
        monthly=Count("pk", filter=own & Q(plan=SubscriptionPlan.MONTHLY)),
        annual=Count("pk", filter=own & Q(plan=SubscriptionPlan.ANNUAL)),
        team_monthly=Coalesce(Sum("quantity", filter=team & Q(plan=SubscriptionPlan.MONTHLY)), 0),
        team_annual=Coalesce(Sum("quantity", filter=team & Q(plan=SubscriptionPlan.ANNUAL)), 0),
    )
    return mrr_amount(
        monthly=counts["monthly"],
        annual=counts["annual"],
        team_monthly_seats=counts["team_monthly"],
        team_annual_seats=counts["team_annual"],
    )


def is_past_due(user: User | AnonymousUser) -> bool:
    """Show the dunning banner? The learner's subscription is PAST_DUE (access continues)."""
    subscription = subscription_for(user)
    return subscription is not None and subscription.status == SubscriptionStatus.PAST_DUE
