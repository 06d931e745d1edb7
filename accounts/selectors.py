"""Reads for the account page and the data export. Other apps' rows are read only, here or
through their own selectors; a fixed number of queries whatever the amount of data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from allauth.socialaccount.providers import registry
from allauth.usersessions.models import UserSession
from django.utils import timezone

from analytics.selectors import user_events
from billing.models import SubscriptionStatus
from billing.selectors import subscription_for
from certificates.selectors import certificate_for
from emails.selectors import user_email_logs
from notes.selectors import user_notes
from progress.selectors import user_lesson_progress
from qa.selectors import user_posts

if TYPE_CHECKING:
    from accounts.models import User
    from billing.models import Subscription

EXPORT_FORMAT_VERSION = 1


@dataclass(frozen=True)
class ConnectedAccount:
    provider: str
    provider_name: str
    uid: str


@dataclass(frozen=True)
class AccountOverview:
    subscription: Subscription | None
    email_addresses: list[EmailAddress]
    social_accounts: list[ConnectedAccount]
    session_count: int
    has_password: bool
    subscription_ended_on: datetime | None = None


def subscription_ended_on(subscription: Subscription | None, *, now: datetime | None = None) -> datetime | None:
    """When a cancelled subscription's access ended, or None while it has not ended.

    Not simply `cancelled_at`: Stripe sets `canceled_at` to when the cancellation was *requested*, so a
    subscription cancelled "at period end" ended at its `current_period_end` (Stripe keeps
    `cancel_at_period_end` true on it), weeks after `cancelled_at`. An immediate cancellation ended at
    `cancelled_at`, before the period it cut short would have ended."""

    if subscription is None or subscription.status != SubscriptionStatus.CANCELLED:
        return None
    now = now or timezone.now()
    if subscription.cancel_at_period_end and subscription.current_period_end <= now:
        return subscription.current_period_end
    return subscription.cancelled_at


def _provider_name(provider_id: str) -> str:
    # The provider class, not `account.get_provider()`, which looks up the app row per account.
    provider_class = registry.get_class(provider_id)
    return provider_class.name if provider_class else provider_id


def account_overview(*, user: User) -> AccountOverview:
    """What /account/ shows besides the profile. Four queries."""
    subscription = subscription_for(user)
    return AccountOverview(
        subscription=subscription,
        subscription_ended_on=subscription_ended_on(subscription),
        email_addresses=list(EmailAddress.objects.filter(user=user).order_by("-primary", "email")),
        social_accounts=[
            ConnectedAccount(provider=provider, provider_name=_provider_name(provider), uid=uid)
            for provider, uid in SocialAccount.objects.filter(user=user)
            .order_by("provider", "pk")
            .values_list("provider", "uid")
        ],
        session_count=UserSession.objects.filter(user=user).count(),
        has_password=user.has_usable_password(),
    )


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _subscription_export(subscription: Subscription | None) -> dict[str, Any] | None:
    if subscription is None:
        return None
    return {
        "plan": subscription.plan,
        "status": subscription.status,
        "current_period_start": _iso(subscription.current_period_start),
        "current_period_end": _iso(subscription.current_period_end),
        "cancel_at_period_end": subscription.cancel_at_period_end,
        "cancelled_at": _iso(subscription.cancelled_at),
        "created_at": _iso(subscription.created_at),
        "stripe_customer_id": subscription.stripe_customer_id,
        "stripe_subscription_id": subscription.stripe_subscription_id,
    }


def user_data_export(*, user: User) -> dict[str, Any]:
    """Everything the product stores about `user`, as JSON-ready data ("Download my data"):
    profile, email addresses, connected accounts, lesson progress, subscription, analytics events
    the log of emails sent, notes, Q&A posts and the certificate. Ten queries, however much there is."""
    progress = user_lesson_progress(user=user)
    events = user_events(user=user).values_list("event", "properties", "session_id", "created_at")
    emails = user_email_logs(user=user).values_list("template", "to", "subject", "status", "error", "sent_at")
    return {
        "format_version": EXPORT_FORMAT_VERSION,
        "exported_at": timezone.now().isoformat(),
        "profile": {
            "id": user.pk,
            "email": user.email,
            "email_verified_at": _iso(user.email_verified_at),
            "name": user.name,
            "image": user.image,
            "role": user.role,
            "onboarding_complete": user.onboarding_complete,
            "user_type": user.user_type,
            "build_goal": user.build_goal,
            "experience_level": user.experience_level,
            "marketing_opt_out": user.marketing_opt_out,
            "created_at": _iso(user.created_at),
            "updated_at": _iso(user.updated_at),
            "last_login_at": _iso(user.last_login),
        },
        "email_addresses": [
            {"email": a.email, "verified": a.verified, "primary": a.primary}
            for a in EmailAddress.objects.filter(user=user).order_by("-primary", "email")
        ],
        "connected_accounts": [
            {
                "provider": a.provider,
                "uid": a.uid,
                "date_joined": _iso(a.date_joined),
                "last_login": _iso(a.last_login),
            }
            for a in SocialAccount.objects.filter(user=user).order_by("provider", "pk")
        ],
        "progress": [
            {
                "lesson_id": p.lesson_id,
                "lesson_title": p.lesson.title,
                "module_title": p.lesson.module.title,
                "completed": p.completed,
                "completed_at": _iso(p.completed_at),
                "position_seconds": p.position_seconds,
                "updated_at": _iso(p.updated_at),
            }
            for p in progress
        ],
        "subscription": _subscription_export(subscription_for(user)),
        "events": [
            {"event": name, "properties": properties, "session_id": session_id, "created_at": _iso(created_at)}
            for name, properties, session_id, created_at in events
        ],
        "emails": [
            {
                "template": template,
                "to": to,
                "subject": subject,
                "status": status,
                "error": error,
                "sent_at": _iso(sent_at),
            }
            for template, to, subject, status, error, sent_at in emails
        ],
        "notes": [
            {
                "lesson_id": n.lesson_id,
                "lesson_title": n.lesson.title,
                "module_title": n.lesson.module.title,
                "position_seconds": n.position_seconds,
                "body": n.body,
                "created_at": _iso(n.created_at),
                "updated_at": _iso(n.updated_at),
            }
            for n in user_notes(user=user)
        ],
        "questions_and_answers": [
            {
                "id": p.pk,
                "kind": "question" if p.question_id is None else "answer",
                "question_id": p.question_id,
                "lesson_id": p.lesson_id,
                "lesson_title": p.lesson.title,
                "body": p.body,
                "is_answered": p.is_answered if p.question_id is None else None,
                "is_hidden": p.is_hidden,
                "created_at": _iso(p.created_at),
                "edited_at": _iso(p.edited_at),
            }
            for p in user_posts(user=user)
        ],
        "certificate": _certificate_export(certificate_for(user=user)),
    }


def _certificate_export(certificate: Any) -> dict[str, Any] | None:
    if certificate is None:
        return None
    return {
        "id": certificate.pk,
        "name": certificate.name,
        "course_title": certificate.course_title,
        "issued_at": _iso(certificate.issued_at),
        "is_public": certificate.is_public,
        "revoked_at": _iso(certificate.revoked_at),
    }
