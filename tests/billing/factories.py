from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from billing.models import Subscription, SubscriptionPlan, SubscriptionStatus
from tests.accounts.factories import UserFactory


class SubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscription

    user = factory.SubFactory(UserFactory)
    stripe_customer_id = factory.Sequence(lambda n: f"cus_test{n:06d}")
    stripe_subscription_id = factory.Sequence(lambda n: f"sub_test{n:06d}")
    status = SubscriptionStatus.ACTIVE
    stripe_status = "active"
    plan = SubscriptionPlan.MONTHLY
    stripe_price_id = "price_monthly_test"
    current_period_start = factory.LazyFunction(timezone.now)
    current_period_end = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))
