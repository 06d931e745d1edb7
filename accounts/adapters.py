from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.models import EmailAddress, EmailConfirmation
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp
from django.conf import settings
from django.contrib import messages
from django.core.mail import EmailMessage
from django.http import Http404, HttpRequest
from django.urls import reverse

from accounts.models import User
from accounts.redirects import onboarding_url
from config.site import SITE_NAME, absolute, site_netloc


def _needs_onboarding(user: Any) -> bool:
    return bool(user.is_authenticated and not user.is_staff and not user.onboarding_complete)


@dataclass(frozen=True)
class EmailSite:
    """Stands in for allauth's `current_site` in emails: the name and domain of `settings.SITE_URL`,
    not the `django.contrib.sites` row written at migrate time (which goes stale when SITE_URL changes)."""

    name: str
    domain: str


def allauth_email_context() -> dict[str, Any]:
    """What the emails app's layout (`emails/base.html`, `emails/base.txt`) expects, for allauth's
    account emails: every link absolute under SITE_URL, and always a service email (no unsubscribe)."""
    return {
        "current_site": EmailSite(name=SITE_NAME, domain=site_netloc()),
        "site_name": SITE_NAME,
        "site_url": settings.SITE_URL,
        "is_marketing": False,
        "links": {
            "home": absolute("/"),
            "course": absolute("/course/"),
            "dashboard": absolute("/dashboard/"),
            "account": absolute(reverse("accounts:account")),
            "login": absolute(reverse("account_login")),
            "signup": absolute(reverse("account_signup")),
            "password_reset": absolute(reverse("account_reset_password")),
        },
    }


class AccountAdapter(DefaultAccountAdapter):
    """Right after the first sign-in (and any sign-in before onboarding is finished) the learner
    lands on /onboarding/; a safe `next` given at sign-in wins and the onboarding middleware catches
    learner pages on the way.

    allauth's emails (templates/account/email/) share the product emails' layout, and their links
    and site name follow `settings.SITE_URL` rather than the request's host or the Site row."""

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        # allauth puts `current_site` (the Site row) in first and then updates with `context`, so ours wins.
        super().send_mail(template_prefix, email, {**context, **allauth_email_context()})

    def send_notification_mail(
        self,
        template_prefix: str,
        user: Any,
        context: dict[str, Any] | None = None,
        email: str | None = None,
    ) -> None:
        # allauth leaves the user out of a notification's context; the greeting needs their name.
        super().send_notification_mail(template_prefix, user, {"user": user, **(context or {})}, email)

    def render_mail(
        self,
        template_prefix: str,
        email: str | list[str],
        context: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> EmailMessage:
        message = super().render_mail(template_prefix, email, context, headers=headers)
        # As the emails app does: no runs of blank lines left by template tags in the plain-text part.
        message.body = re.sub(r"\n{3,}", "\n\n", message.body).strip() + "\n"
        return message

    def format_email_subject(self, subject: str) -> str:
        # The subjects name the site themselves, like the product emails; no "[Site] " prefix from the Site row.
        return f"{account_settings.EMAIL_SUBJECT_PREFIX or ''}{subject}"

    def get_email_confirmation_url(self, request: HttpRequest, emailconfirmation: EmailConfirmation) -> str:
        return absolute(reverse("account_confirm_email", args=[emailconfirmation.key]))

    def get_reset_password_from_key_url(self, key: str) -> str:
        # allauth's own construction (an opaque "<uidb36>-<key>" in one URL segment), under SITE_URL.
        path = reverse("account_reset_password_from_key", kwargs={"uidb36": "UID", "key": "KEY"})
        return absolute(path.replace("UID-KEY", quote(key)))

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
