from __future__ import annotations

from django.conf import settings
from django.db import models

from config.ids import new_id


class EmailTemplate(models.TextChoices):
    WELCOME = "WELCOME", "Welcome"
    START_JOURNEY = "START_JOURNEY", "Start your journey"
    ABANDONMENT_1 = "ABANDONMENT_1", "Abandonment 1 (+1 h)"
    ABANDONMENT_2 = "ABANDONMENT_2", "Abandonment 2 (+24 h)"
    ABANDONMENT_3 = "ABANDONMENT_3", "Abandonment 3 (+3 days)"
    MODULE_COMPLETE = "MODULE_COMPLETE", "Module complete"
    INACTIVE_NUDGE = "INACTIVE_NUDGE", "Inactive nudge"
    RENEWAL_REMINDER = "RENEWAL_REMINDER", "Renewal reminder"
    PAYMENT_FAILED = "PAYMENT_FAILED", "Payment failed"
    PAYMENT_FAILED_FINAL = "PAYMENT_FAILED_FINAL", "Payment failed (final)"
    TRIAL_ENDING = "TRIAL_ENDING", "Trial ending"
    CANCELLATION_CONFIRMED = "CANCELLATION_CONFIRMED", "Cancellation confirmed"
    WINBACK = "WINBACK", "Win-back (+14 days after access ends)"
    QA_REPLY = "QA_REPLY", "Reply to your question"
    CERTIFICATE = "CERTIFICATE", "Certificate earned"
    TEAM_INVITE = "TEAM_INVITE", "Team invitation"


# Templates sent to an address in `data["to"]` rather than to the row's user (an invitee may have no
# account yet; the row's user is who caused it). Transactional.
ADDRESSED_TEMPLATES = frozenset({"TEAM_INVITE"})


# Marketing mail honours `marketing_opt_out` and carries one-click unsubscribe headers (DESIGN.md §8);
# everything else is transactional (about the learner's account or purchase) and is always sent.
MARKETING_TEMPLATES = frozenset(
    {
        EmailTemplate.START_JOURNEY,
        EmailTemplate.ABANDONMENT_1,
        EmailTemplate.ABANDONMENT_2,
        EmailTemplate.ABANDONMENT_3,
        EmailTemplate.INACTIVE_NUDGE,
        EmailTemplate.WINBACK,
    }
)


class EmailStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"
    SENT = "SENT", "Sent"
    FAILED = "FAILED", "Failed"
    CANCELLED = "CANCELLED", "Cancelled"


class EmailQueue(models.Model):
    """One email to send. The seed gives `userId` no relation, so the row outlives its user
    (no database constraint); the drain cancels rows whose user is gone."""

    id = models.CharField(primary_key=True, max_length=32, default=new_id, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    template = models.CharField(max_length=32, choices=EmailTemplate.choices)
    scheduled_for = models.DateTimeField()
    status = models.CharField(max_length=16, choices=EmailStatus.choices, default=EmailStatus.PENDING)
    data = models.JSONField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    # Additions (DESIGN.md §3, peer seed 001): retries with backoff kept in the database,
    # a lease so a worker killed mid-send loses nothing (the on-commit path's; the beat drain holds row locks
    # instead, emails/drain.py), and a key naming what the email is about.
    idempotency_key = models.CharField(max_length=255, unique=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)
    # Which claim holds the lease: a worker whose lease expired and was reclaimed by another
    # finds a different token and leaves the row alone.
    lock_token = models.CharField(max_length=32, blank=True, default="")
    last_error = models.TextField(blank=True, default="")

    class Meta:
        verbose_name = "queued email"
        verbose_name_plural = "email queue"
        ordering = ["scheduled_for"]
        indexes = [
            models.Index(fields=["status", "scheduled_for"], name="emailqueue_status_scheduled"),
            models.Index(fields=["user"], name="emailqueue_user"),
        ]

    def __str__(self) -> str:
        return f"{self.template} → {self.user_id} @ {self.scheduled_for:%Y-%m-%d %H:%M}"

    @property
    def is_marketing(self) -> bool:
        return self.template in MARKETING_TEMPLATES


class EmailLog(models.Model):
    """One send attempt (sent, failed or cancelled at send time)."""

    id = models.CharField(primary_key=True, max_length=32, default=new_id, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="email_logs", db_index=False
    )
    template = models.CharField(max_length=32, choices=EmailTemplate.choices)
    to = models.CharField(max_length=254)
    subject = models.CharField(max_length=255)
    status = models.CharField(max_length=16, choices=EmailStatus.choices)
    error = models.TextField(null=True, blank=True)
    queue_item = models.ForeignKey(EmailQueue, on_delete=models.SET_NULL, null=True, blank=True, related_name="logs")

    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_at"]
        indexes = [
            models.Index(fields=["user"], name="emaillog_user"),
            models.Index(fields=["sent_at"], name="emaillog_sent_at"),
        ]

    def __str__(self) -> str:
        return f"{self.template} → {self.to} ({self.status})"


class SuppressionReason(models.TextChoices):
    HARD_BOUNCE = "HARD_BOUNCE", "Hard bounce"
    COMPLAINT = "COMPLAINT", "Spam complaint"
    MANUAL = "MANUAL", "Added by an operator"


class EmailSuppression(models.Model):
    """Addresses never sent to again (peer seed 001's EmailSuppression)."""

    id = models.CharField(primary_key=True, max_length=32, default=new_id, editable=False)
    email = models.EmailField(unique=True)
    reason = models.CharField(max_length=16, choices=SuppressionReason.choices)
    detail = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} ({self.reason})"

    def clean(self) -> None:
        # One spelling per address: the drain looks suppressions up by the lower-cased address.
        self.email = (self.email or "").strip().lower()
