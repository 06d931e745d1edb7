"""Writes to accounts: sign-up and login bookkeeping, onboarding, profile, preferences, deletion."""

from __future__ import annotations

import logging
from datetime import datetime
from importlib import import_module

from allauth.account.models import EmailAddress
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import ExperienceLevel, User, UserRole, UserType
from analytics.models import EventName
from analytics.services import event_track

# billing.services by module: tests replace its subscription_cancel_immediately to stand Stripe down.
from billing import services as billing_services
from billing.selectors import subscription_for
from config.services import model_update
from emails.models import EmailTemplate
from emails.services import email_cancel_pending
from emails.triggers import inactive_nudge_reschedule, signup_emails_queue

logger = logging.getLogger(__name__)


def admin_ensure(*, email: str, password: str) -> tuple[User, bool]:
    """An ADMIN with this email and password, created if missing. Returns (user, created). Idempotent."""
    user, created = User.objects.get_or_create(
        email=email.lower(),
        defaults={"role": UserRole.ADMIN, "is_superuser": True, "onboarding_complete": True, "name": "Admin"},
    )
    user.role = UserRole.ADMIN
    user.is_superuser = True
    user.is_active = True
    user.set_password(password)
    user.save()
    return user, created


def user_email_verified_sync(*, user: User, address_changed: bool = False) -> User:
    """Keep `email_verified_at` in step with allauth's verified primary address.

    Set (to now) when the primary address matching `user.email` is verified and no time is recorded
    yet, or when the primary address has just changed to a verified one; cleared when the primary
    address is not verified. Idempotent.
    """

    verified = EmailAddress.objects.filter(user=user, primary=True, verified=True, email__iexact=user.email).exists()
    if verified:
        value = user.email_verified_at if user.email_verified_at and not address_changed else timezone.now()
    else:
        value = None
    model_update(instance=user, data={"email_verified_at": value})
    return user


def user_signup_complete(*, user: User, method: str) -> None:
    """A new account exists (allauth's `user_signed_up`): record `signup_completed`, queue WELCOME now and
    START_JOURNEY for +24 h, and note whether the address arrived verified (Google's are).
    One transaction: the event, the queued emails and the flag commit together."""

    with transaction.atomic():
        event_track(name=EventName.SIGNUP_COMPLETED, user=user, properties={"method": method})
        signup_emails_queue(user=user)
        user_email_verified_sync(user=user)


def user_login_record(*, user: User, method: str) -> datetime:
    """A completed sign-in (allauth's `user_logged_in`): record `login` and replace the pending
    INACTIVE_NUDGE with one at this login + 7 days. Returns the login time.

    Django's own `login()` has already stamped `last_login` (the seed's lastLoginAt) on this instance;
    the fallback covers a login that bypassed it, so the nudge is always anchored on a stored time.
    """

    with transaction.atomic():
        logged_in_at = user.last_login
        if logged_in_at is None:
            logged_in_at = timezone.now()
            user.last_login = logged_in_at
            user.save(update_fields=["last_login"])
        event_track(name=EventName.LOGIN, user=user, properties={"method": method})
        inactive_nudge_reschedule(user=user, logged_in_at=logged_in_at)
    return logged_in_at


def user_onboarding_complete(
    *, user: User, user_type: UserType | str, build_goal: str, experience_level: ExperienceLevel | str
) -> User:
    """Store the onboarding answers (seed §2) and mark onboarding complete. `onboarding_completed` is
    recorded once, the first time; answering again later only updates the answers."""
    if user_type not in UserType.values or experience_level not in ExperienceLevel.values:
        raise ValueError("Unknown user type or experience level.")
    build_goal = build_goal.strip()
    if not build_goal:
        raise ValueError("A build goal is required.")
    with transaction.atomic():
        # FOR UPDATE: a double-submitted form must not record the event twice.
        first_time = not User.objects.select_for_update().values_list("onboarding_complete", flat=True).get(pk=user.pk)
        model_update(
            instance=user,
            data={
                "user_type": user_type,
                "build_goal": build_goal,
                "experience_level": experience_level,
                "onboarding_complete": True,
            },
        )
        if first_time:
            event_track(
                name=EventName.ONBOARDING_COMPLETED,
                user=user,
                properties={"user_type": str(user_type), "experience_level": str(experience_level)},
            )
    return user


def user_profile_update(*, user: User, name: str | None, image: str | None) -> User:
    model_update(instance=user, data={"name": (name or "").strip() or None, "image": (image or "").strip() or None})
    return user


def user_marketing_preference_set(*, user: User, opt_out: bool, source: str = "account") -> bool:
    """Opt out of (or back into) marketing emails; True when this call changed the preference.

    The drain checks the flag at send time, so pending marketing rows need no change. Opting out counts
    as `email_unsubscribed` (with `source`: the account page, or the email's link / one-click POST).
    A conditional UPDATE, not read-then-save: a mail client's one-click POST and the learner's own click
    can race, and only one of them may record the event.
    """
    with transaction.atomic():
        changed = (
            User.objects.filter(pk=user.pk)
            .exclude(marketing_opt_out=opt_out)
            .update(marketing_opt_out=opt_out, updated_at=timezone.now())
        )
        user.marketing_opt_out = opt_out
        if changed and opt_out:
            event_track(name=EventName.EMAIL_UNSUBSCRIBED, user=user, properties={"source": source})
    return bool(changed)


def user_delete(*, user: User) -> None:
    """Delete the account as the seed's cascades say.

    In order, in one transaction: the Stripe subscription is cancelled at Stripe first (if that fails,
    billing raises StripeUnavailable, nothing is deleted and the learner is never billed for a deleted
    account), pending emails
    are cancelled, every signed-in session is ended, then the user row goes — with it the
    subscription, progress, email logs, email addresses, social accounts, notes, Q&A posts (a question
    takes its answers) and the certificate; analytics events stay
    with their user cleared (Event.user is SET_NULL).
    """

    with transaction.atomic():
        subscription = subscription_for(user)
        if subscription is not None:
            # Billing decides whether Stripe still has something to cancel (idempotent for ended ones).

            billing_services.subscription_cancel_immediately(subscription=subscription)
        email_cancel_pending(user=user, templates=EmailTemplate.values)
        session_keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
        user_id = user.pk
        user.delete()
        # Django's session rows carry no foreign key to the user: end them once the delete is certain,
        # so no other device stays signed in to an account that is gone.
        transaction.on_commit(lambda: _sessions_end(session_keys))
    logger.info("account %s deleted", user_id)


def _sessions_end(session_keys: list[str]) -> None:
    store = import_module(settings.SESSION_ENGINE).SessionStore
    for key in session_keys:
        store().delete(key)
