"""Reads of billing state. `has_access` is the one rule every paid thing goes through."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from billing import stripe_client
from billing.models import (
    ACCESS_STATUSES,
    SAVED_OUTCOMES,
    CancelFlow,
    CancelOutcome,
    CancelReason,
    Subscription,
    SubscriptionPlan,
    SubscriptionStatus,
)
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
    # DESIGN.md §12: a paused subscription grants nothing from its paid period's end to its resume date.
    if subscription is not None and subscription.grants_access and not subscription.is_paused_at(timezone.now()):
        return True
    # Issue 17 (DESIGN.md §12): otherwise a seat in a team whose subscription is ACTIVE, TRIALING or
    # PAST_DUE (and not paused) grants access — asked only after the learner's own subscription (one query,
    # cached on the user instance for the request), whatever state that own subscription is in.
    return team_seat_grants_access(user)


def paused_until(user: User | AnonymousUser) -> datetime | None:
    """When the learner's pause ends, while it is keeping them out (see `has_access`); else None."""
    subscription = subscription_for(user)
    if subscription is None or not subscription.grants_access or not subscription.is_paused_at(timezone.now()):
        return None
    return subscription.pause_resumes_at


def is_refund_eligible(subscription: Subscription, *, now: datetime | None = None) -> bool:
    """Seed §9: refundable while at most 90 whole days have passed since the subscription was created —
    at Stripe (`stripe_created_at`), so a re-subscriber's window starts with their new subscription,
    not with the row that has followed them since their first one."""
    now = now or timezone.now()
    started = subscription.stripe_created_at or subscription.created_at
    return (now - started).days <= settings.REFUND_WINDOW_DAYS


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


# --- revenue and retention (issue 16) ------------------------------------------------------------


def retention_discount_taken(*, user: User) -> bool:
    """Has this learner already taken the cancel flow's one-time discount? One query."""
    return CancelFlow.objects.filter(user=user, outcome=CancelOutcome.DISCOUNTED).exists()


def trial_days_offered(user: User | AnonymousUser) -> int:
    """Days of free trial Checkout would give this visitor: STRIPE_TRIAL_DAYS for a learner who has never
    subscribed (anyone signed out counts as new), 0 otherwise — a trial is a first-time offer."""
    days = max(settings.STRIPE_TRIAL_DAYS, 0)
    if days and subscription_for(user) is not None:
        return 0
    return days


@dataclass(frozen=True)
class InvoiceList:
    invoices: list[stripe_client.Invoice]
    unavailable: bool  # Stripe could not be reached: the page says so


def _invoices_key(customer_id: str) -> str:
    return f"billing:invoices:{customer_id}"


def invoices_forget(*, customer_id: str) -> None:
    """Drop the cached invoice list (an invoice was paid or failed): the next visit reads Stripe."""
    cache.delete(_invoices_key(customer_id))


def invoices_for(*, user: User) -> InvoiceList:
    """The learner's invoices from Stripe, newest first, cached briefly per customer
    (BILLING_INVOICES_CACHE_SECONDS) so reloading the page does not call Stripe every time.
    A failure is not cached: the next visit tries again."""
    subscription = subscription_for(user)
    if subscription is None or not subscription.stripe_customer_id:
        return InvoiceList(invoices=[], unavailable=False)
    key = _invoices_key(subscription.stripe_customer_id)
    cached = cache.get(key)
    if cached is not None:
        return InvoiceList(invoices=cached, unavailable=False)
    try:
        invoices = stripe_client.invoices_for_customer(customer_id=subscription.stripe_customer_id)
    except stripe_client.StripeUnavailable:
        return InvoiceList(invoices=[], unavailable=True)
    cache.set(key, invoices, settings.BILLING_INVOICES_CACHE_SECONDS)
    return InvoiceList(invoices=invoices, unavailable=False)


# --- the admin dashboard's revenue numbers (issue 16) ----------------------------------------------


def subscribers_at(*, moments: list[datetime]) -> dict[datetime, int]:
    """How many subscriptions were live (started at Stripe, not yet ended) at each moment. One query,
    whatever the number of moments or subscriptions (a filtered count per moment)."""
    started = started_subscriptions()
    if not moments:
        return {}
    aggregates = {}
    for i, moment in enumerate(moments):
        not_ended = (
            Q(ended_at__gte=moment)
            | Q(ended_at__isnull=True, cancelled_at__isnull=True)
            | Q(ended_at__isnull=True, cancelled_at__gte=moment)
            | Q(ended_at__isnull=True, status__in=[str(s) for s in ACCESS_STATUSES])
        )
        aggregates[f"m{i}"] = Count("pk", filter=Q(stripe_created_at__lt=moment) & not_ended)
    counts = started.aggregate(**aggregates)
    return {moment: counts[f"m{i}"] for i, moment in enumerate(moments)}


@dataclass(frozen=True)
class CancelFlowSummary:
    started: int
    saved: int
    reasons: list[tuple[str, int]]  # (label, flows), most common first

    @property
    def saves_ratio(self) -> float | None:
        return self.saved / self.started if self.started else None


def cancel_flow_summary(*, start: datetime, end: datetime) -> CancelFlowSummary:
    """Cancel flows begun in [start, end): how many, how many took an offer, and their reasons. One query."""
    rows = (
        CancelFlow.objects.filter(created_at__gte=start, created_at__lt=end)
        .values("reason")
        .annotate(n=Count("pk"), saved=Count("pk", filter=Q(outcome__in=list(SAVED_OUTCOMES))))
        .order_by()
    )
    labels = dict(CancelReason.choices)
    reasons, started, saved = [], 0, 0
    for row in rows:
        reasons.append((labels.get(row["reason"], row["reason"]), row["n"]))
        started += row["n"]
        saved += row["saved"]
    reasons.sort(key=lambda r: (-r[1], r[0]))
    return CancelFlowSummary(started=started, saved=saved, reasons=reasons)


def started_subscriptions() -> QuerySet[Subscription]:
    """Every subscription that ever started at Stripe (not a Checkout left incomplete)."""
    return Subscription.objects.exclude(stripe_status__in=["", "incomplete", "incomplete_expired"])


def user_cancel_flows_export(*, user: User) -> list[dict[str, object]]:
    """The learner's cancel flows for "Download my data": their reasons, words and choices. One query."""
    return [
        {
            "reason": reason,
            "detail": detail,
            "outcome": outcome,
            "pause_months": months,
            "created_at": created.isoformat(),
            "answered_at": answered.isoformat() if answered else None,
        }
        for reason, detail, outcome, months, created, answered in CancelFlow.objects.filter(user=user)
        .order_by("created_at")
        .values_list("reason", "detail", "outcome", "pause_months", "created_at", "answered_at")
    ]
