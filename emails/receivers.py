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


def suppression_reason(event: AnymailTrackingEvent) -> str | None:
    """Anymail's normalised event → why the address must never be mailed again, or None.

    "bounced" is a permanent bounce for most ESPs (temporary ones arrive as "deferred"), but Postmark's
    SoftBounce is normalised to "bounced" too, so its raw Type is checked. "rejected" for an invalid
    or previously bounced address is just as permanent. Everything else (opens, deliveries,
    deferrals, virus notices) leaves the address alone.
    """
    if event.event_type == "complained":
        return SuppressionReason.COMPLAINT
    if event.event_type == "bounced":
        esp_event = event.esp_event if isinstance(event.esp_event, dict) else {}
        if esp_event.get("Type") == "SoftBounce" or event.reject_reason not in (None, "bounced"):
            return None
        return SuppressionReason.HARD_BOUNCE
    if event.event_type == "rejected" and event.reject_reason in ("invalid", "bounced"):
        return SuppressionReason.HARD_BOUNCE
    return None


@receiver(tracking, dispatch_uid="emails.suppress_on_bounce_or_complaint")
def suppress_on_bounce_or_complaint(sender: Any, event: AnymailTrackingEvent, esp_name: str, **kwargs: Any) -> None:
    reason = suppression_reason(event)
    if reason is None or not event.recipient:
        return
    detail = f"{esp_name} {event.event_type}"
    if event.description or event.mta_response:
        detail += f": {event.description or event.mta_response}"
    email_suppression_add(email=event.recipient, reason=reason, detail=detail)
