from functools import partial

from django.http import HttpRequest

from billing.selectors import is_past_due


def billing(request: HttpRequest) -> dict[str, object]:
    """Billing state every page may show: `billing_past_due` drives the dunning banner.

    A callable, so templates that never ask cost no query; the subscription is cached on the
    user, so a page that also checks `has_access` reads it once.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"billing_past_due": False}
    return {"billing_past_due": partial(is_past_due, user)}
