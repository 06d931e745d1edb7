from datetime import UTC, datetime

import pytest
import time_machine
from allauth.account.models import EmailAddress

from accounts import services
from analytics.models import Event
from emails.models import EmailQueue, EmailTemplate
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_email_verified_at_follows_the_verified_primary_address(user):
    address = EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=False)
    assert services.user_email_verified_sync(user=user).email_verified_at is None

    address.verified = True
    address.save()
    with time_machine.travel(datetime(2026, 5, 1, tzinfo=UTC), tick=False):
        services.user_email_verified_sync(user=user)
    user.refresh_from_db()
    assert user.email_verified_at == datetime(2026, 5, 1, tzinfo=UTC)

    services.user_email_verified_sync(user=user)  # idempotent: the first time is kept
    user.refresh_from_db()
    assert user.email_verified_at == datetime(2026, 5, 1, tzinfo=UTC)

    address.verified = False
    address.save()
    services.user_email_verified_sync(user=user)
    user.refresh_from_db()
    assert user.email_verified_at is None


def test_a_login_without_a_stamped_last_login_still_anchors_the_nudge():
    user = UserFactory(last_login=None)
    with time_machine.travel(datetime(2026, 5, 1, 8, 0, tzinfo=UTC), tick=False):
        logged_in_at = services.user_login_record(user=user, method="email")
    user.refresh_from_db()
    assert user.last_login == logged_in_at == datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
    nudge = EmailQueue.objects.get(user=user, template=EmailTemplate.INACTIVE_NUDGE)
    assert nudge.scheduled_for == datetime(2026, 5, 8, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "answers",
    [
        {"user_type": "WIZARD", "experience_level": "BEGINNER", "build_goal": "x"},
        {"user_type": "TECH_TEAM", "experience_level": "EXPERT", "build_goal": "x"},
        {"user_type": "TECH_TEAM", "experience_level": "BEGINNER", "build_goal": "  "},
    ],
)
def test_onboarding_refuses_values_outside_the_seed_enums(new_user, answers):
    with pytest.raises(ValueError):
        services.user_onboarding_complete(user=new_user, **answers)
    new_user.refresh_from_db()
    assert not new_user.onboarding_complete and not Event.objects.exists()


def test_setting_the_same_marketing_preference_twice_records_one_event(user):
    services.user_marketing_preference_set(user=user, opt_out=True)
    services.user_marketing_preference_set(user=user, opt_out=True)
    assert Event.objects.filter(event="email_unsubscribed").count() == 1
