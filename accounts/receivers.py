"""allauth's signals, each handed to one accounts service (STYLE.md: receivers hold no logic)."""

from __future__ import annotations

from typing import Any

from allauth.account.signals import email_changed, email_confirmed, user_logged_in, user_signed_up
from django.dispatch import receiver

from accounts import services


def _method(kwargs: dict[str, Any]) -> str:
    sociallogin = kwargs.get("sociallogin")
    return sociallogin.account.provider if sociallogin is not None else "email"


@receiver(user_signed_up, dispatch_uid="accounts.signed_up")
def on_user_signed_up(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    services.user_signup_complete(user=user, method=_method(kwargs))


@receiver(user_logged_in, dispatch_uid="accounts.logged_in")
def on_user_logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    services.user_login_record(user=user, method=_method(kwargs))


@receiver(email_confirmed, dispatch_uid="accounts.email_confirmed")
def on_email_confirmed(sender: Any, request: Any, email_address: Any, **kwargs: Any) -> None:
    services.user_email_verified_sync(user=email_address.user)


@receiver(email_changed, dispatch_uid="accounts.email_changed")
def on_email_changed(sender: Any, request: Any, user: Any, to_email_address: Any, **kwargs: Any) -> None:
    services.user_email_verified_sync(user=user, address_changed=True)
