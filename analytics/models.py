from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from config.ids import new_id


class EventName(models.TextChoices):
    """Every event the product records (DESIGN.md §9)."""

    SIGNUP_COMPLETED = "signup_completed"
    ONBOARDING_COMPLETED = "onboarding_completed"
    LOGIN = "login"
    LESSON_VIEWED = "lesson_viewed"
    VIDEO_1_STARTED = "video_1_started"
    VIDEO_1_COMPLETED = "video_1_completed"
    VIDEO_STARTED = "video_started"
    VIDEO_COMPLETED = "video_completed"
    LESSON_COMPLETED = "lesson_completed"
    MODULE_COMPLETED = "module_completed"
    PAYWALL_VIEWED = "paywall_viewed"
    CHECKOUT_STARTED = "checkout_started"
    SUBSCRIPTION_STARTED = "subscription_started"
    SUBSCRIPTION_CANCELLED = "subscription_cancelled"
    PAYMENT_FAILED = "payment_failed"
    REFUND_ISSUED = "refund_issued"
    EMAIL_UNSUBSCRIBED = "email_unsubscribed"


class Event(models.Model):
    id = models.CharField(primary_key=True, max_length=32, default=new_id, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="events",
        db_index=False,
    )
    session_id = models.CharField(max_length=64, null=True, blank=True)
    event = models.CharField(max_length=64)
    properties = models.JSONField(null=True, blank=True)

    # A default, not auto_now_add, so imports and the benchmark's generator can write history.
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["event"], name="event_event"),
            models.Index(fields=["user"], name="event_user"),
            models.Index(fields=["created_at"], name="event_created_at"),
            models.Index(fields=["event", "created_at"], name="event_event_created_at"),
        ]

    def __str__(self) -> str:
        return f"{self.event} @ {self.created_at:%Y-%m-%d %H:%M}"
