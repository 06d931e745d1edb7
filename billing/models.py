from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models

from config.ids import new_id
from config.provider_events import ProviderEvent, ProviderEventStatus
from config.user_cache import users_changed

if TYPE_CHECKING:
    from accounts.models import User


class SubscriptionStatus(models.TextChoices):
    ACTIVE = "ACTIVE", "Active"
    PAST_DUE = "PAST_DUE", "Past due"
    CANCELLED = "CANCELLED", "Cancelled"
    TRIALING = "TRIALING", "Trialing"
    INCOMPLETE = "INCOMPLETE", "Incomplete"


class SubscriptionPlan(models.TextChoices):
    MONTHLY = "MONTHLY", "Monthly"
    ANNUAL = "ANNUAL", "Annual"


# Statuses that grant access (DESIGN.md §4): PAST_DUE is the seed's grace period.
ACCESS_STATUSES = frozenset({SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING, SubscriptionStatus.PAST_DUE})


class SubscriptionQuerySet(models.QuerySet["Subscription"]):
    """Subscriptions. A learner's subscription is cached with their user row (`config.user_cache`):
    writes that bypass `save()`/`delete()` signals (queryset `update()`, `bulk_update()`) retire those
    copies too (saves and deletes: `accounts.receivers`). Cache bookkeeping only, no business rule."""

    def update(self, **kwargs: Any) -> int:
        owners = list(self.values_list("user_id", flat=True))
        rows = super().update(**kwargs)
        users_changed([*owners, kwargs.get("user_id"), getattr(kwargs.get("user"), "pk", None)])
        return rows

    def bulk_update(self, objs: Any, fields: Any, batch_size: int | None = None) -> int:
        objs = list(objs)
        owners = list(self.filter(pk__in=[obj.pk for obj in objs]).values_list("user_id", flat=True))
        rows = super().bulk_update(objs, fields, batch_size=batch_size)
        users_changed([*owners, *(obj.user_id for obj in objs)])
        return rows


class Subscription(models.Model):
    id = models.CharField(primary_key=True, max_length=32, default=new_id, editable=False)
    # The owner: a learner, or (issue 17) a team whose members' seats it pays for — exactly one of the two.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="subscription", null=True, blank=True
    )
    team = models.OneToOneField(
        "teams.Team", on_delete=models.PROTECT, related_name="subscription", null=True, blank=True
    )
    # Seats paid for (the subscription item's quantity); 1 for a learner's own subscription.
    quantity = models.PositiveIntegerField(default=1)
    stripe_customer_id = models.CharField(max_length=255, unique=True)
    stripe_subscription_id = models.CharField(max_length=255, unique=True)
    status = models.CharField(max_length=16, choices=SubscriptionStatus.choices)
    plan = models.CharField(max_length=16, choices=SubscriptionPlan.choices)

    # Billing
    current_period_start = models.DateTimeField()
    current_period_end = models.DateTimeField()
    cancel_at_period_end = models.BooleanField(default=False)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    payment_failed_at = models.DateTimeField(
        null=True, blank=True, help_text="First failure of the current dunning cycle (3-day email timing)."
    )

    # Additions (DESIGN.md §3): Stripe's raw status and price, and the time of the Stripe state applied last.
    stripe_status = models.CharField(max_length=32, blank=True, default="")
    stripe_price_id = models.CharField(max_length=255, blank=True, default="")
    stripe_created_at = models.DateTimeField(null=True, blank=True, help_text="When Stripe created the subscription.")
    stripe_synced_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the Stripe state applied last was read (an older read never overwrites it).",
    )
    # The latest refund recorded (admin "Refund and cancel" or Stripe's charge.refunded), so one
    # refund is recorded once whichever of the two reports it first.
    refunded_at = models.DateTimeField(null=True, blank=True)
    refunded_charge_id = models.CharField(max_length=255, blank=True, default="")

    # Retention (issue 16), all mirrored from Stripe by the sync: the trial's end, a pause (Stripe's
    # `pause_collection.resumes_at`, and when it starts: the end of the period already paid for, kept in
    # the subscription's metadata), the coupon of an applied discount, and when access actually ended.
    trial_start = models.DateTimeField(null=True, blank=True)
    trial_end = models.DateTimeField(null=True, blank=True)
    # Set once, when the trial first turned into a paid subscription (`trial_converted` is recorded once).
    trial_converted_at = models.DateTimeField(null=True, blank=True)
    pause_starts_at = models.DateTimeField(null=True, blank=True)
    pause_resumes_at = models.DateTimeField(null=True, blank=True)
    discount_coupon_id = models.CharField(max_length=255, blank=True, default="")
    ended_at = models.DateTimeField(null=True, blank=True, help_text="When Stripe ended the subscription.")

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        # The seed's @@index on stripeCustomerId / stripeSubscriptionId is served by their unique indexes.
        indexes = [models.Index(fields=["status", "current_period_end"], name="subscription_status_period")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=False, team__isnull=True)
                | models.Q(user__isnull=True, team__isnull=False),
                name="subscription_one_owner",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id or self.team_id} {self.plan} {self.status}"

    @property
    def contact(self) -> User | None:
        """Who gets this subscription's mail and analytics: the learner, or the team's billing contact."""
        if self.user_id:
            return self.user
        return self.team.billing_contact if self.team_id and self.team else None

    @property
    def grants_access(self) -> bool:
        return self.status in ACCESS_STATUSES

    @property
    def has_pause(self) -> bool:
        """Collection is paused (or scheduled to pause at the period end) until a resume date."""
        return self.pause_resumes_at is not None

    def is_paused_at(self, moment: datetime) -> bool:
        """DESIGN.md §12: a paused subscription grants nothing from the pause's start (the end of the
        period already paid for) until its resume date."""
        if self.pause_resumes_at is None:
            return False
        # A pause set elsewhere (the Dashboard) names no start: it holds from now on.
        if self.pause_starts_at is not None and moment < self.pause_starts_at:
            return False
        return moment < self.pause_resumes_at


class CancelReason(models.TextChoices):
    TOO_EXPENSIVE = "TOO_EXPENSIVE", "It costs too much"
    NOT_ENOUGH_TIME = "NOT_ENOUGH_TIME", "I don't have time right now"
    FINISHED = "FINISHED", "I got what I needed"
    NOT_WHAT_I_EXPECTED = "NOT_WHAT_I_EXPECTED", "It wasn't what I expected"
    TECHNICAL = "TECHNICAL", "Technical problems"
    OTHER = "OTHER", "Something else"


class CancelOutcome(models.TextChoices):
    OPEN = "OPEN", "No answer yet"
    PAUSED = "PAUSED", "Paused"
    DISCOUNTED = "DISCOUNTED", "Took the discount"
    SWITCHED = "SWITCHED", "Switched plan"
    CANCELLED = "CANCELLED", "Cancelled at period end"


# Outcomes that kept the learner subscribed: the "saves" of the dashboard.
SAVED_OUTCOMES = frozenset({CancelOutcome.PAUSED, CancelOutcome.DISCOUNTED, CancelOutcome.SWITCHED})


class CancelFlow(models.Model):
    """One pass through `/account/subscription/cancel/`: why the learner wanted to leave and what they chose.
    Answered once (a replayed post finds it answered). The retention discount is taken at most once per
    learner, enforced by the database, whatever the number of flows or concurrent posts."""

    id = models.CharField(primary_key=True, max_length=32, default=new_id, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cancel_flows")
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="cancel_flows")
    reason = models.CharField(max_length=32, choices=CancelReason.choices)
    detail = models.TextField(blank=True, default="", max_length=2000)
    outcome = models.CharField(max_length=16, choices=CancelOutcome.choices, default=CancelOutcome.OPEN)
    pause_months = models.PositiveSmallIntegerField(null=True, blank=True)
    plan_before = models.CharField(max_length=16, choices=SubscriptionPlan.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["created_at"], name="cancelflow_created_at")]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=models.Q(outcome="DISCOUNTED"), name="cancelflow_one_discount_per_user"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.reason} → {self.outcome}"

    @property
    def is_answered(self) -> bool:
        return self.outcome != CancelOutcome.OPEN


StripeEventStatus = ProviderEventStatus


class StripeEvent(ProviderEvent):
    """Every Stripe webhook event, stored once by its id (peer seed 002's webhook_events)."""

    stripe_event_id = models.CharField(max_length=255, unique=True)
    stripe_created = models.DateTimeField(help_text="The event's `created` time at Stripe.")
    api_version = models.CharField(max_length=64, blank=True, default="", help_text="The event's Stripe API version.")

    class Meta:
        ordering = ["-stripe_created"]
        indexes = [models.Index(fields=["status", "received_at"], name="stripeevent_status_received")]

    def __str__(self) -> str:
        return f"{self.type} {self.stripe_event_id}"
