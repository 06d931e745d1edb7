from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import CommandError, call_command

from accounts.models import User
from analytics.models import DailyActivity, Event, EventName, MrrSnapshot
from analytics.selectors import dashboard, default_window
from billing.models import Subscription
from progress.models import LessonProgress
from tests.analytics import seed_sql

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 15, 14, 30, tzinfo=UTC)


def test_generates_the_asked_volume_in_time_order_and_rolls_up(course, capsys):
    with time_machine.travel(NOW, tick=False):
        call_command("analytics_generate", events=20_000, days=20, users=150, batch=6_000, force=True)
        data = dashboard(window=default_window())

    assert Event.objects.count() == 20_000
    assert User.objects.filter(email__endswith="@generated.invalid").count() == 150
    assert Subscription.objects.filter(user__email__endswith="@generated.invalid").count() == 150 // 12
    assert LessonProgress.objects.filter(lesson__in=course["lessons"]).count() > 150
    first, last = Event.objects.order_by("created_at").values_list("created_at", flat=True)[:: 20_000 - 1]
    assert NOW - timedelta(days=20) <= first and last <= NOW
    assert set(Event.objects.values_list("event", flat=True).distinct()) == set(EventName.values)
    assert Event.objects.filter(user__isnull=True, session_id__isnull=False).exists()
    assert (
        not Event.objects.filter(user__isnull=True)
        .exclude(event__in=["lesson_viewed", "paywall_viewed", "video_1_started"])
        .exists()
    )
    plans = set(Event.objects.filter(event="subscription_started").values_list("properties__plan", flat=True))
    assert plans == {"MONTHLY", "ANNUAL"}
    lesson_ids = {str(lesson.pk) for lesson in course["lessons"]}
    assert (
        set(Event.objects.filter(event="video_started").values_list("properties__lesson_id", flat=True)) <= lesson_ids
    )
    assert DailyActivity.objects.count() == 20 and MrrSnapshot.objects.count() == 21
    # The dashboard over generated data still equals the seed's SQL.
    assert {s.key: s.count for s in data.funnel} == seed_sql.funnel(NOW)
    assert "Generated 20,000 events" in capsys.readouterr().out


def test_refuses_without_force_when_debug_is_off():
    with pytest.raises(CommandError, match="pass --force"):
        call_command("analytics_generate", events=10)
    assert not Event.objects.exists()
