from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.http import HttpRequest

from accounts.redirects import onboarding_url


def _needs_onboarding(user: Any) -> bool:
    return bool(user.is_authenticated and not user.is_staff and not user.onboarding_complete)


class AccountAdapter(DefaultAccountAdapter):
    """Right after the first sign-in (and any sign-in before onboarding is finished) the learner
    lands on /onboarding/; a safe `next` given at sign-in wins and the onboarding middleware catches
    learner pages on the way."""

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        url = super().get_login_redirect_url(request)
        return onboarding_url(url) if _needs_onboarding(request.user) else url

    def get_signup_redirect_url(self, request: HttpRequest) -> str:
        url = super().get_signup_redirect_url(request)
        return onboarding_url(url) if _needs_onboarding(request.user) else url


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def populate_user(self, request: HttpRequest, sociallogin: Any, data: dict[str, Any]) -> Any:
        """Google gives a name and a picture: they become the profile's name and image."""
        user = super().populate_user(request, sociallogin, data)
        extra = sociallogin.account.extra_data or {}
        name = (data.get("name") or extra.get("name") or "").strip()
        if not name:
            name = " ".join(part for part in (data.get("first_name"), data.get("last_name")) if part).strip()
        user.name = name[:200] or None
        picture = extra.get("picture")
        if isinstance(picture, str) and picture.startswith("https://") and len(picture) <= 500:
            user.image = picture
        return user
