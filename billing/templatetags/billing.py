"""`{% load billing %}{% subscription_card %}`: the account page's subscription panel (plan, status,
renewal date or "ends on …", and the way to the Customer Portal)."""

from __future__ import annotations

from typing import Any

from django import template

from billing.models import SubscriptionStatus
from billing.selectors import subscription_for

register = template.Library()


@register.inclusion_tag("billing/_subscription_card.html", takes_context=True)
def subscription_card(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    subscription = subscription_for(user) if user is not None else None
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "subscription": subscription,
        "past_due": subscription is not None and subscription.status == SubscriptionStatus.PAST_DUE,
        "access_override": bool(getattr(user, "access_override", False)),
    }
