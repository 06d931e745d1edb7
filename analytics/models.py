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
    # Revenue and retention (issue 16).
    TRIAL_STARTED = "trial_started"
    TRIAL_CONVERTED = "trial_converted"
    CANCEL_FLOW_STARTED = "cancel_flow_started"
    CANCEL_OFFER_ACCEPTED = "cancel_offer_accepted"


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
            # Addition: signing up links the visitor's anonymous events (`event_session_link`). Partial, so it
            # indexes only the anonymous rows that link ever touches, not the signed-in majority.
            models.Index(fields=["session_id"], name="event_anonymous_session", condition=models.Q(user__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.event} @ {self.created_at:%Y-%m-%d %H:%M}"


# Events the browser may send to the beacon (POST /analytics/events/). Everything else is recorded
# server-side by the app that owns it; video completion and position go through the progress endpoints.
BROWSER_EVENTS = frozenset({EventName.VIDEO_1_STARTED, EventName.VIDEO_STARTED})

# "Active learner" on a day: a signed-in user who watched or completed something that day.
LEARNING_EVENTS = frozenset(
    {
        EventName.LESSON_VIEWED,
        EventName.VIDEO_1_STARTED,
        EventName.VIDEO_1_COMPLETED,
        EventName.VIDEO_STARTED,
        EventName.VIDEO_COMPLETED,
        EventName.LESSON_COMPLETED,
        EventName.MODULE_COMPLETED,
    }
)


class EventDailyCount(models.Model):
    """Rollup: how many `event` rows were recorded on `day` (UTC), split by `properties->>'plan'`
    (set for subscription_started; "" stands for NULL so the unique key works on every database).
    Rebuilt per whole day by `rollup_refresh`; the dashboard reads whole days from here and only the
    unrolled edges from `Event`."""

    day = models.DateField()
    event = models.CharField(max_length=64)
    plan = models.CharField(max_length=32, blank=True, default="")
    count = models.PositiveBigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "event", "plan"], name="eventdailycount_day_event_plan"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.event} {self.plan or ''} = {self.count}"


class DailyActivity(models.Model):
    """Rollup per UTC day: distinct active learners (see LEARNING_EVENTS). One row for every rolled-up day,
    zero or not, so the span of these rows is exactly the span `EventDailyCount` covers."""

    day = models.DateField(primary_key=True)
    active_learners = models.PositiveIntegerField()
    rolled_up_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["day"]
        verbose_name_plural = "daily activity"

    def __str__(self) -> str:
        return f"{self.day}: {self.active_learners} active learners"


class MrrSnapshot(models.Model):
    """MRR as it stood on `day` (UTC), taken by the hourly beat task (the last run of a day wins).
    MRR is a state, not an event: history exists only because it is snapshotted."""

    day = models.DateField(primary_key=True)
    mrr = models.DecimalField(max_digits=12, decimal_places=2)
    taken_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day}: ${self.mrr}"


class CompletionSnapshot(models.Model):
    """The seed's "completion rate by module" for one module, as the hourly beat task last computed it.
    Its cost grows with learners x lessons, so the dashboard reads it from here; only a database with no
    snapshot yet is counted live. Title, order and published state are read from the module itself."""

    module = models.OneToOneField("courses.Module", on_delete=models.CASCADE, primary_key=True, related_name="+")
    users_started = models.PositiveIntegerField()
    users_completed = models.PositiveIntegerField()
    taken_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.module_id}: {self.users_completed}/{self.users_started}"


class ProgressChurnSnapshot(models.Model):
    """Churn by learning progress (issue 16) as the hourly beat task last counted it: subscribers who
    finished at least one module and those who did not, and how many of each have ended. Counting it joins
    every subscriber to the `module_completed` events, whose cost grows with the events; the dashboard reads
    the one latest row (counted live only while none exists)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)  # one row
    finished = models.PositiveIntegerField()
    finished_churned = models.PositiveIntegerField()
    other = models.PositiveIntegerField()
    other_churned = models.PositiveIntegerField()
    taken_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"finished {self.finished_churned}/{self.finished}, other {self.other_churned}/{self.other}"
