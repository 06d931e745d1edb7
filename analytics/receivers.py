"""allauth's `user_signed_up`, handed to one analytics service (STYLE.md: receivers hold no logic)."""

from __future__ import annotations

from typing import Any

from allauth.account.signals import user_signed_up
from django.dispatch import receiver

from analytics.services import event_session_link
from analytics.sessions import existing_analytics_session_id


@receiver(user_signed_up, dispatch_uid="analytics.signed_up")
def on_user_signed_up(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """What the visitor did before signing up (the free lesson, the pricing page) becomes theirs."""
    session_id = existing_analytics_session_id(request) if request is not None else None
    if session_id:
        event_session_link(user=user, session_id=session_id)
