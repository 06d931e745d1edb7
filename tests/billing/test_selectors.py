from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from billing.models import SubscriptionStatus
from billing.selectors import has_access, is_refund_eligible
from tests.accounts.factories import UserFactory
from tests.billing.factories import SubscriptionFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (SubscriptionStatus.ACTIVE, True),
        (SubscriptionStatus.TRIALING, True),
        (SubscriptionStatus.PAST_DUE, True),  # the seed's grace period
        (SubscriptionStatus.INCOMPLETE, False),
        (SubscriptionStatus.CANCELLED, False),
    ],
)
def test_has_access_follows_subscription_status(status, expected):
    subscription = SubscriptionFactory(status=status)
    assert has_access(subscription.user) is expected


def test_no_subscription_means_no_access():
    assert has_access(UserFactory()) is False


def test_anonymous_has_no_access():
    assert has_access(AnonymousUser()) is False


def test_access_override_grants_access_without_subscription():
    assert has_access(UserFactory(access_override=True)) is True


def test_access_override_beats_a_cancelled_subscription():
    subscription = SubscriptionFactory(status=SubscriptionStatus.CANCELLED, user__access_override=True)
    assert has_access(subscription.user) is True


def test_admin_has_access():
    assert has_access(UserFactory(admin=True)) is True


def test_deactivated_user_has_no_access():
    subscription = SubscriptionFactory(user__is_active=False)
    assert has_access(subscription.user) is False


def test_has_access_costs_one_query_and_caches_on_the_user(django_assert_num_queries):
    user = SubscriptionFactory().user
    from accounts.models import User

    user = User.objects.get(pk=user.pk)
    with django_assert_num_queries(1):
        assert has_access(user)
        assert has_access(user)


def test_refund_eligible_within_90_days():
    with time_machine.travel("2026-01-01 12:00Z", tick=False):
        subscription = SubscriptionFactory()
    created = subscription.created_at
    assert is_refund_eligible(subscription, now=created + timedelta(days=90, hours=23))
    assert not is_refund_eligible(subscription, now=created + timedelta(days=91))


def test_refund_eligibility_uses_the_clock():
    with time_machine.travel("2026-01-01 12:00Z", tick=False):
        subscription = SubscriptionFactory()
    with time_machine.travel("2026-03-31 12:00Z", tick=False):  # day 89
        assert is_refund_eligible(subscription)
    with time_machine.travel("2026-04-02 12:00Z", tick=False):  # day 91
        assert not is_refund_eligible(subscription)
    assert timezone.now() > subscription.created_at


def test_mrr_matches_the_seed_query():
    from decimal import Decimal

    from django.db import connection

    from billing.models import SubscriptionPlan
    from billing.selectors import mrr

    SubscriptionFactory.create_batch(3, plan=SubscriptionPlan.MONTHLY)
    SubscriptionFactory.create_batch(2, plan=SubscriptionPlan.ANNUAL)
    SubscriptionFactory(plan=SubscriptionPlan.MONTHLY, status=SubscriptionStatus.PAST_DUE)  # not ACTIVE
    SubscriptionFactory(plan=SubscriptionPlan.ANNUAL, status=SubscriptionStatus.CANCELLED)
    with connection.cursor() as cursor:
        # The seed's SQL, with exact division (the seed's integer 399/12 would round every annual plan down to 33).
        cursor.execute(
            "SELECT SUM(CASE WHEN plan = 'MONTHLY' THEN 49 ELSE 399/12.0 END) FROM billing_subscription "
            "WHERE status = 'ACTIVE'"
        )
        expected = cursor.fetchone()[0]
    assert mrr() == Decimal(expected).quantize(Decimal("0.01")) == Decimal("213.50")
