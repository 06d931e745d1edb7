from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.models import EmailAddress
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp
from django.contrib import messages
from django.http import Http404, HttpRequest

from accounts.models import User
from accounts.redirects import onboarding_url


def _needs_onboarding(user: Any) -> bool:
    return bool(user.is_authenticated and not user.is_staff and not user.onboarding_complete)


class AccountAdapter(DefaultAccountAdapter):
    """Right after the first sign-in (and any sign-in before onboarding is finished) the learner
    lands on /onboarding/; a safe `next` given at sign-in wins and the onboarding middleware catches
    learner pages on the way."""

    def confirm_email(self, request: HttpRequest, email_address: EmailAddress) -> bool:
        """Never confirm an address another account already uses (accounts created outside allauth,
        such as `createsuperuser`, have no EmailAddress row for allauth to see): a clear message
        instead of a unique-constraint error."""
        if User.objects.filter(email__iexact=email_address.email).exclude(pk=email_address.user_id).exists():
            self.add_message(
                request,
                messages.ERROR,
                "account/messages/email_confirmation_failed.txt",
                {"email": email_address.email},
            )
            return False
        return super().confirm_email(request, email_address)

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        url = super().get_login_redirect_url(request)
        return onboarding_url(url) if _needs_onboarding(request.user) else url

    def get_signup_redirect_url(self, request: HttpRequest) -> str:
        url = super().get_signup_redirect_url(request)
        return onboarding_url(url) if _needs_onboarding(request.user) else url


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def get_provider(self, request: HttpRequest, provider: str, client_id: str | None = None) -> Any:
        """A provider without credentials (Google without GOOGLE_CLIENT_ID/SECRET) is not there: 404,
        not allauth's unhandled SocialApp.DoesNotExist (a 500)."""
        try:
            return super().get_provider(request, provider, client_id=client_id)
        except SocialApp.DoesNotExist as exc:
            raise Http404("This sign-in method is not enabled.") from exc

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
