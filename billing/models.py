from __future__ import annotations

from django.conf import settings
from django.db import models

from config.ids import new_id
from config.provider_events import ProviderEvent, ProviderEventStatus


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


class Subscription(models.Model):
    id = models.CharField(primary_key=True, max_length=32, default=new_id, editable=False)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="subscription")
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

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        # The seed's @@index on stripeCustomerId / stripeSubscriptionId is served by their unique indexes.
        indexes = [models.Index(fields=["status", "current_period_end"], name="subscription_status_period")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.plan} {self.status}"

    @property
    def grants_access(self) -> bool:
        return self.status in ACCESS_STATUSES


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
