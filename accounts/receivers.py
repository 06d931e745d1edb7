"""allauth's signals, each handed to one accounts service (STYLE.md: receivers hold no logic)."""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from allauth.account.signals import email_changed, email_confirmed, user_logged_in, user_signed_up
from allauth.socialaccount.models import SocialAccount
from allauth.usersessions.models import UserSession
from django.db.models.signals import post_delete, post_init, post_save
from django.dispatch import receiver

from accounts import services
from accounts.models import User
from billing.models import Subscription
from certificates.models import Certificate
from config.user_cache import users_changed
from notes.models import Note
from progress.models import LessonProgress
from teams.models import Team, TeamMembership


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
    owners = [instance.user_id, getattr(instance, "_owner_at_load", None)]
    if instance.team_id:  # a team's subscription: its members' access and account pages
        owners += TeamMembership.objects.filter(team_id=instance.team_id).values_list("user_id", flat=True)
    users_changed(owners)


# The learner's own data: their pages are kept rendered under their generation (config/page_cache.py),
# so a change to anything those pages show about them replaces it, like a change to their row.
LEARNER_DATA = (LessonProgress, Note, Certificate, EmailAddress, SocialAccount, UserSession, TeamMembership)


def on_learner_data_written(sender: Any, instance: Any, **kwargs: Any) -> None:
    users_changed([instance.user_id])


for _model in LEARNER_DATA:
    _uid = f"accounts.user_cache.{_model.__name__}"
    post_save.connect(on_learner_data_written, sender=_model, dispatch_uid=f"{_uid}.saved")
    post_delete.connect(on_learner_data_written, sender=_model, dispatch_uid=f"{_uid}.deleted")


@receiver(post_save, sender=Team, dispatch_uid="accounts.user_cache.team_saved")
def on_team_saved(sender: Any, instance: Team, **kwargs: Any) -> None:
    # Its name and state show on every member's account page.
    users_changed(TeamMembership.objects.filter(team=instance).values_list("user_id", flat=True))
