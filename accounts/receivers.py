"""allauth's signals, each handed to one accounts service (STYLE.md: receivers hold no logic)."""

from __future__ import annotations

from typing import Any

from allauth.account.signals import email_changed, email_confirmed, user_logged_in, user_signed_up
from django.db.models.signals import post_delete, post_init, post_save
from django.dispatch import receiver

from accounts import services
from accounts.models import User
from billing.models import Subscription
from config.user_cache import users_changed


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


# --- The cached signed-in user (config/user_cache.py): cache bookkeeping, no business rule ---------


@receiver(post_save, sender=User, dispatch_uid="accounts.user_cache.user_saved")
@receiver(post_delete, sender=User, dispatch_uid="accounts.user_cache.user_deleted")
def on_user_written(sender: Any, instance: User, **kwargs: Any) -> None:
    users_changed([instance.pk])


@receiver(post_init, sender=Subscription, dispatch_uid="accounts.user_cache.subscription_loaded")
def on_subscription_loaded(sender: Any, instance: Subscription, **kwargs: Any) -> None:
    # Its owner as loaded: a subscription moved to another user retires both users' copies.
    instance._owner_at_load = instance.user_id  # type: ignore[attr-defined]


@receiver(post_save, sender=Subscription, dispatch_uid="accounts.user_cache.subscription_saved")
@receiver(post_delete, sender=Subscription, dispatch_uid="accounts.user_cache.subscription_deleted")
def on_subscription_written(sender: Any, instance: Subscription, **kwargs: Any) -> None:
    users_changed([instance.user_id, getattr(instance, "_owner_at_load", None)])
