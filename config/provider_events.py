"""The shape shared by every provider's webhook event log (Stripe's, Mux's): stored once by the
provider's event id, then processed, ignored or failed with its error, so an operator can see and replay it."""

from django.db import models

from config.ids import new_id


class ProviderEventStatus(models.TextChoices):
    RECEIVED = "RECEIVED", "Received"
    PROCESSED = "PROCESSED", "Processed"
    IGNORED = "IGNORED", "Ignored"
    FAILED = "FAILED", "Failed"


class ProviderEvent(models.Model):
    id = models.CharField(primary_key=True, max_length=32, default=new_id, editable=False)
    type = models.CharField(max_length=100, db_index=True)
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=ProviderEventStatus.choices, default=ProviderEventStatus.RECEIVED)
    error = models.TextField(blank=True, default="")
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
