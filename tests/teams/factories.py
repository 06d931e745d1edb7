"""Teams test data, and a team subscription as Stripe holds it (API 2026-10-28), built from Stripe's own
subscription fixture so every field the client reads is where Stripe puts it."""

from __future__ import annotations

import copy
import time
from datetime import timedelta
from typing import Any

import factory
from django.utils import timezone

from billing.models import Subscription, SubscriptionPlan, SubscriptionStatus
from teams.models import Team, TeamInvitation, TeamMembership, TeamRole
from tests.accounts.factories import UserFactory
from tests.billing.stripe_events import FIXTURE_USER_ID, load

SEAT_CENTS = 3900


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TeamMembership

    team = factory.SubFactory(TeamFactory)
    user = factory.SubFactory(UserFactory)
    role = TeamRole.MEMBER


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TeamInvitation

    team = factory.SubFactory(TeamFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.com")
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=14))


def team_with_seats(*, seats: int = 5, members: int = 1, status: str = SubscriptionStatus.ACTIVE) -> dict[str, Any]:
    """A team whose first member is its admin (and billing contact), with a subscription row of `seats`."""
    admin = UserFactory()
    team = TeamFactory(billing_contact=admin)
    MembershipFactory(team=team, user=admin, role=TeamRole.ADMIN)
    others = [MembershipFactory(team=team).user for _ in range(members - 1)]
    subscription = Subscription.objects.create(
        team=team,
        stripe_customer_id=f"cus_team{team.pk[:10]}",
        stripe_subscription_id=f"sub_team{team.pk[:10]}",
        status=status,
        stripe_status=status.lower(),
        plan=SubscriptionPlan.MONTHLY,
        stripe_price_id="price_team_monthly_test",
        quantity=seats,
        current_period_start=timezone.now(),
        current_period_end=timezone.now() + timedelta(days=30),
    )
    return {"team": team, "admin": admin, "members": others, "subscription": subscription}


def stripe_team_subscription(
    *,
    subscription_id: str,
    customer_id: str,
    team_id: str,
    quantity: int,
    status: str = "active",
    start: int | None = None,
    days: int = 30,
) -> dict[str, Any]:
    data = copy.deepcopy(load("subscriptions/active_month1", user_id=FIXTURE_USER_ID))
    start = int(time.time()) - 60 if start is None else start
    item = data["items"]["data"][0]
    item.update(
        id=f"si_{subscription_id[4:]}",
        quantity=quantity,
        current_period_start=start,
        current_period_end=start + days * 86400,
    )
    item["price"].update(id="price_team_monthly_test", unit_amount=SEAT_CENTS, unit_amount_decimal=str(SEAT_CENTS))
    data.update(
        id=subscription_id,
        customer=customer_id,
        status=status,
        quantity=quantity,
        created=start,
        metadata={"team_id": team_id},
        cancel_at=None,
        cancel_at_period_end=False,
        canceled_at=None if status != "canceled" else start + 3600,
    )
    return data


def subscription_event(event_type: str, obj: dict[str, Any], *, event_id: str) -> dict[str, Any]:
    return {
        "id": event_id,
        "object": "event",
        "api_version": "2026-10-28.endive",
        "created": int(time.time()),
        "type": event_type,
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "data": {"object": obj},
    }
