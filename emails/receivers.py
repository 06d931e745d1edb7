"""django-anymail's tracking signal: an ESP's webhook reports what happened to a message.
Hard bounces and spam complaints put the address on the suppression list (one service call)."""

from __future__ import annotations

import logging
from typing import Any

from anymail.signals import AnymailTrackingEvent, tracking
from django.dispatch import receiver

from emails.models import SuppressionReason
from emails.services import email_suppression_add

logger = logging.getLogger(__name__)

# Anymail's normalised event types: "bounced" is a permanent (hard) bounce — temporary ones arrive
# as "deferred" and are left alone — and "complained" is a spam report.
SUPPRESSING_EVENTS = {"bounced": SuppressionReason.HARD_BOUNCE, "complained": SuppressionReason.COMPLAINT}


@receiver(tracking, dispatch_uid="emails.suppress_on_bounce_or_complaint")
def suppress_on_bounce_or_complaint(sender: Any, event: AnymailTrackingEvent, esp_name: str, **kwargs: Any) -> None:
    reason = SUPPRESSING_EVENTS.get(event.event_type)
    if reason is None or not event.recipient:
        return
    detail = f"{esp_name} {event.event_type}"
    if event.description or event.mta_response:
        detail += f": {event.description or event.mta_response}"
    email_suppression_add(email=event.recipient, reason=reason, detail=detail)
