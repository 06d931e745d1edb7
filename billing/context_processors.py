from functools import partial

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest

from billing.selectors import is_past_due, paused_until, trial_days_offered


def billing(request: HttpRequest) -> dict[str, object]:
    """Billing state every page may show: `billing_past_due` drives the dunning banner,
    `billing_trial_days` the "Start your N-day free trial" copy of the pricing page and paywall,
    `billing_paused_until` the paywall's "your membership is paused" note.

    Callables, so templates that never ask cost no query; the subscription is cached on the
    user, so a page that also checks `has_access` reads it once.
    """
    user = getattr(request, "user", None) or AnonymousUser()
    trial_days = partial(trial_days_offered, user)
    if not user.is_authenticated:
        return {"billing_past_due": False, "billing_trial_days": trial_days}
    return {
        "billing_past_due": partial(is_past_due, user),
        "billing_trial_days": trial_days,
        "billing_paused_until": partial(paused_until, user),
    }
