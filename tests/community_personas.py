"""The personas of the community access matrix (Q&A threads and notes): who may WATCH which lesson."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser

from billing.models import SubscriptionStatus
from tests.accounts.factories import UserFactory
from tests.billing.factories import SubscriptionFactory

PERSONAS = ["anonymous", "learner", "subscriber", "lapsed", "override", "staff"]
LESSONS = ["free", "paid", "draft"]

# What each persona may do on each kind of lesson: "watch", "login", "paywall" or "not_found".
EXPECTED = {
    "anonymous": {"free": "login", "paid": "login", "draft": "not_found"},
    "learner": {"free": "watch", "paid": "paywall", "draft": "not_found"},
    "subscriber": {"free": "watch", "paid": "watch", "draft": "not_found"},
    "lapsed": {"free": "watch", "paid": "paywall", "draft": "not_found"},
    "override": {"free": "watch", "paid": "watch", "draft": "not_found"},
    "staff": {"free": "watch", "paid": "watch", "draft": "watch"},
}


def persona(name: str) -> Any:
    if name == "anonymous":
        return AnonymousUser()
    if name == "learner":
        return UserFactory()
    if name == "subscriber":
        return SubscriptionFactory().user
    if name == "lapsed":
        return SubscriptionFactory(status=SubscriptionStatus.CANCELLED, stripe_status="canceled").user
    if name == "override":
        return UserFactory(access_override=True)
    return UserFactory(admin=True)


def lesson_of(kind: str, course: dict[str, Any]) -> Any:
    if kind == "free":
        return course["free_lesson"]
    lesson = course["lessons"][1]
    if kind == "draft":
        lesson.published = False
        lesson.save(update_fields=["published"])
    return lesson


def sign_in(client: Any, user: Any) -> None:
    if user.is_authenticated:
        client.force_login(user)
