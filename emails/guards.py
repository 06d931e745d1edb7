"""Send-time guards (DESIGN.md §8, "at send time, cancel unless …").

A row is queued ahead of time; by the time it is due its reason may have lapsed. Each guard
answers "why must this row not be sent now?" with a short reason, or None to send. The drain
turns a reason into CANCELLED (with an EmailLog row), never into a send.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Exists, OuterRef, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from analytics.models import EventName
from analytics.selectors import user_has_event, user_has_event_annotation
from billing.models import ACCESS_STATUSES, SubscriptionStatus
from billing.selectors import has_access, subscription_by_id, subscription_for
from certificates.selectors import certificate_public_get
from courses.selectors import LessonAccess, lesson_access
from emails.models import ADDRESSED_TEMPLATES, EmailQueue, EmailSuppression, EmailTemplate
from progress.selectors import completed_lesson_ids_annotation, completed_lesson_ids_by_user
from qa.selectors import qa_reply_email_context
from teams.models import TeamMembership
from teams.selectors import SEAT_CACHE, invitation_is_open

if TYPE_CHECKING:
    from accounts.models import User


def _video_1_started(user: User) -> bool:
    prefetched = getattr(user, "video_1_started", None)  # set by `recipients` for a whole claim
    if prefetched is not None:
        return bool(prefetched)
    return user_has_event(user_id=user.pk, name=EventName.VIDEO_1_STARTED)


def _parse(value: Any) -> datetime | None:
    return parse_datetime(value) if isinstance(value, str) else None


def _start_journey(item: EmailQueue, user: User) -> str | None:
    if _video_1_started(user):
        return "video 1 already started"
    return None


def _abandonment(item: EmailQueue, user: User) -> str | None:
    if has_access(user):
        return "learner has access now"
    return None


# The login that queued a nudge and Django's `last_login` stamp of that same login are taken a
# moment apart; only a login clearly after it counts as "logged in since".
SAME_LOGIN_SLACK = timedelta(seconds=60)


def _inactive_nudge(item: EmailQueue, user: User) -> str | None:
    queued_for = _parse((item.data or {}).get("last_login_at"))
    if queued_for and user.last_login and user.last_login > queued_for + SAME_LOGIN_SLACK:
        return "learner logged in since"
    return None


# The reason a row whose premise is already past is cancelled with (replayed or late events can queue one).
STALE = "stale"
# A final notice sent this long after its time speaks of a dunning cycle Stripe has moved on from.
FINAL_NOTICE_STALE_AFTER = timedelta(days=2)


def _subscription_of(item: EmailQueue, user: User) -> Any:
    """The subscription the row is about: by the id the trigger stored (a team's row is not the
    contact's own), else the learner's own."""
    subscription_id = (item.data or {}).get("subscription_id")
    return subscription_by_id(str(subscription_id)) if subscription_id else subscription_for(user)


def _renewal_reminder(item: EmailQueue, user: User) -> str | None:
    subscription = _subscription_of(item, user)
    period_end = _parse((item.data or {}).get("period_end"))
    # "Your membership renews on <date>" about a date already gone (a replayed or late event queued it).
    if period_end is not None and period_end <= timezone.now():
        return STALE
    if subscription is None or not subscription.grants_access:
        return "subscription no longer active"
    if subscription.cancel_at_period_end:
        return "subscription set to cancel at period end"
    if subscription.has_pause:
        return "subscription paused"
    if period_end is None or subscription.current_period_end != period_end:
        return "renewal date changed"
    return None


def _payment_failed_final(item: EmailQueue, user: User) -> str | None:
    subscription = _subscription_of(item, user)
    if subscription is None or subscription.status != SubscriptionStatus.PAST_DUE:
        return "subscription no longer past due"
    failed_at = _parse((item.data or {}).get("failed_at"))
    # About another dunning cycle than the open one, or days after its time: the notice's premise is past.
    if (
        failed_at is not None
        and subscription.payment_failed_at is not None
        and failed_at != subscription.payment_failed_at
    ):
        return STALE
    if timezone.now() > item.scheduled_for + FINAL_NOTICE_STALE_AFTER:
        return STALE
    return None


def _trial_ending(item: EmailQueue, user: User) -> str | None:
    subscription = subscription_for(user)
    if subscription is None or subscription.status != SubscriptionStatus.TRIALING:
        return "no longer trialing"
    if subscription.cancel_at_period_end:
        return "trial set to end without converting"
    return None


def _winback(item: EmailQueue, user: User) -> str | None:
    if has_access(user):
        return "learner has access again"
    return None


def _qa_reply(item: EmailQueue, user: User) -> str | None:

    data = item.data or {}
    found = qa_reply_email_context(question_id=str(data.get("question_id") or ""), since=_parse(data.get("since")))
    if found is None:
        return "question removed or hidden"
    if not found["answers"]:
        return "no new answers to show"
    if lesson_access(user, found["question"].lesson) is not LessonAccess.WATCH:
        return "asker can no longer open the lesson"
    return None


def _certificate(item: EmailQueue, user: User) -> str | None:

    certificate = certificate_public_get(str((item.data or {}).get("certificate_id") or ""), include_hidden=True)
    if certificate is None:
        return "certificate revoked"
    return None


def _team_invite(item: EmailQueue, user: User) -> str | None:
    data = item.data or {}
    if is_suppressed(str(data.get("to") or "")):
        return "address suppressed"
    if not invitation_is_open(invitation_id=str(data.get("invitation_id") or "")):
        return "invitation no longer open"
    return None


TEMPLATE_GUARDS: dict[str, Callable[[EmailQueue, User], str | None]] = {
    EmailTemplate.START_JOURNEY: _start_journey,
    EmailTemplate.ABANDONMENT_1: _abandonment,
    EmailTemplate.ABANDONMENT_2: _abandonment,
    EmailTemplate.ABANDONMENT_3: _abandonment,
    EmailTemplate.INACTIVE_NUDGE: _inactive_nudge,
    EmailTemplate.RENEWAL_REMINDER: _renewal_reminder,
    EmailTemplate.PAYMENT_FAILED_FINAL: _payment_failed_final,
    EmailTemplate.TRIAL_ENDING: _trial_ending,
    EmailTemplate.WINBACK: _winback,
    EmailTemplate.QA_REPLY: _qa_reply,
    EmailTemplate.CERTIFICATE: _certificate,
    EmailTemplate.TEAM_INVITE: _team_invite,
}


def is_suppressed(email: str) -> bool:
    return EmailSuppression.objects.filter(email=email.strip().lower()).exists()


def recipient(user_id: str) -> User | None:
    """The row's user with `is_suppressed` annotated (one query), or None when the user is gone.
    Looked up on its own: a join from the queue row would hide a row whose user was deleted."""
    suppressed = EmailSuppression.objects.filter(email=Lower(OuterRef("email")))
    return get_user_model().objects.filter(pk=user_id).annotate(is_suppressed=Exists(suppressed)).first()


def _team_seat() -> dict[str, Any]:
    # Issue 17: `has_access` also asks about a team seat; answered here for the whole batch, in the same query.
    seat = TeamMembership.objects.filter(user_id=OuterRef("pk"), team__subscription__status__in=list(ACCESS_STATUSES))
    return {SEAT_CACHE: Exists(seat)}


def _arrays_supported() -> bool:
    return connection.vendor == "postgresql"


@functools.cache
def _recipients_query(*, with_progress: bool) -> QuerySet[Any]:
    """The query `recipients` filters, built once per process: resolving its joins and four subqueries costs
    more CPU than running it (the drain asks it once per chunk). Never evaluated itself, only `.filter()`ed."""
    suppressed = EmailSuppression.objects.filter(email=Lower(OuterRef("email")))
    annotations: dict[str, Any] = {
        "is_suppressed": Exists(suppressed),
        "video_1_started": user_has_event_annotation(name=EventName.VIDEO_1_STARTED),
        **_team_seat(),
    }
    if with_progress and _arrays_supported():
        annotations["completed_lessons"] = completed_lesson_ids_annotation()
    return get_user_model().objects.select_related("subscription").annotate(**annotations).order_by()


def recipients(user_ids: list[str], *, with_progress: bool = False) -> dict[str, Any]:
    """`recipient` for a whole chunk, with what the guards read prefetched: the subscription (joined,
    so `has_access` and the billing guards cost no query), `is_suppressed`, the team seat and
    `video_1_started`; with `with_progress`, each user's `completed_lesson_ids` for the progress emails
    too. One query whatever the chunk's size; users that are gone are absent."""
    users: dict[str, Any] = {
        user.pk: user for user in _recipients_query(with_progress=with_progress).filter(pk__in=set(user_ids))
    }
    if with_progress:
        # PostgreSQL answers inside the one query; another database (SQLite under `make run`) asks once more.
        by_user = None if _arrays_supported() else completed_lesson_ids_by_user(user_ids=users)
        for user in users.values():
            user.completed_lesson_ids = set(user.completed_lessons) if by_user is None else by_user.get(user.pk, set())
    return users


def cancel_reason(item: EmailQueue, user: User) -> str | None:
    """Why `item` must not go to `user` now, or None. The user exists (the drain checked)."""
    if not user.is_active:
        return "account deactivated"
    suppressed = getattr(user, "is_suppressed", None)
    # An addressed template (TEAM_INVITE) goes elsewhere: its guard checks that address instead.
    if item.template not in ADDRESSED_TEMPLATES and (
        suppressed if suppressed is not None else is_suppressed(user.email)
    ):
        return "address suppressed"
    if item.is_marketing and user.marketing_opt_out:
        return "marketing opt-out"
    guard = TEMPLATE_GUARDS.get(item.template)
    return guard(item, user) if guard else None
