"""Where to send a learner after sign-in, and the one check every `next` parameter goes through."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode

DEFAULT_NEXT = settings.LOGIN_REDIRECT_URL


def safe_next(request: HttpRequest, url: str | None, default: str = DEFAULT_NEXT) -> str:
    """`url` when it points at this site (no open redirect: other hosts, `//host`, `javascript:`
    and the like fall back to `default`)."""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return default


def onboarding_url(next_url: str | None = None) -> str:
    url = reverse("accounts:onboarding")
    if next_url and next_url != DEFAULT_NEXT:
        url = f"{url}?{urlencode({'next': next_url})}"
    return url
