import csv
import io
import random
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from analytics.models import CompletionSnapshot
from analytics.services import completion_snapshot_record, rollup_refresh, rollup_refresh_due
from tests.accounts.factories import UserFactory
from tests.analytics.factories import EventFactory, random_events
from tests.billing.factories import SubscriptionFactory
from tests.courses.factories import LessonFactory, ModuleFactory
from tests.progress.factories import LessonProgressFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 15, 14, 30, tzinfo=UTC)
URL = "/admin/analytics/"
CSV_URL = "/admin/analytics/export.csv"


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def staff_client(client, admin_user):
    client.force_login(admin_user)
    return client


def _small_case(now):
    for hours in (1, 30, 200, 700):
        EventFactory(event="signup_completed", created_at=now - timedelta(hours=hours))
    for hours in (2, 31, 201):
        EventFactory(event="onboarding_completed", created_at=now - timedelta(hours=hours))
    EventFactory(event="subscription_started", properties={"plan": "ANNUAL"}, created_at=now - timedelta(hours=3))
    EventFactory(event="subscription_started", properties={"plan": "MONTHLY"}, created_at=now - timedelta(hours=4))
    EventFactory(event="subscription_started", properties={"plan": "MONTHLY"}, created_at=now - timedelta(hours=5))
    SubscriptionFactory(plan="MONTHLY")
    module = ModuleFactory(order=1, title="Foundations & <basics>")
    lesson = LessonFactory(module=module, order=1)
    LessonProgressFactory(lesson=lesson, completed=True)
    LessonProgressFactory(lesson=lesson, completed=False)


@pytest.mark.parametrize("who", ["anonymous", "learner", "subscriber"])
def test_only_staff_see_the_dashboard(client, who, request):
    if who != "anonymous":
        client.force_login(request.getfixturevalue("user" if who == "learner" else "subscriber"))
    for url in (URL, CSV_URL):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


def test_the_dashboard_shows_every_section_with_numbers_and_charts(staff_client, frozen):
    _small_case(frozen)
    response = staff_client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Analytics" in html
    for section in ('id="funnel"', 'id="plans"', 'id="mrr"', 'id="completion"', 'id="daily"'):
        assert section in html
    assert html.count('<svg class="chart"') == 6
    # Numbers beside the charts: the funnel table, step rates, plan split, MRR, completion.
    funnel = [(s.key, s.count) for s in response.context["data"].funnel]
    assert funnel == [("signups", 4), ("onboarded", 3), ("activated", 0), ("saw_paywall", 0), ("converted", 3)]
    assert "75.0%" in html  # onboarded / signed up
    assert '<td>MONTHLY</td><td class="num">2</td>' in html
    assert "$49.00" in html
    assert "Foundations &amp; &lt;basics&gt;" in html and "<basics>" not in html
    assert "Last 30 days: since Feb 13, 2026 14:30 UTC" in html


def test_the_admin_index_links_the_dashboard(staff_client):
    html = staff_client.get("/admin/").content.decode()
    assert f'href="{URL}"' in html


def test_a_chosen_date_range(staff_client, frozen):
    EventFactory(event="signup_completed", created_at=datetime(2026, 1, 10, 9, tzinfo=UTC))
    EventFactory(event="signup_completed", created_at=datetime(2026, 1, 12, 9, tzinfo=UTC))
    response = staff_client.get(URL, {"start": "2026-01-01", "end": "2026-01-10"})
    data = response.context["data"]
    assert (data.window.first_day.isoformat(), data.window.last_day.isoformat()) == ("2026-01-01", "2026-01-10")
    assert data.funnel[0].count == 1 and len(data.days) == 10
    assert 'value="2026-01-01"' in response.content.decode()
    assert "export.csv?start=2026-01-01&amp;end=2026-01-10" in response.content.decode()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"start": "2026-03-10", "end": "2026-03-01"},
            "The start date (2026-03-10) is after the end date (2026-03-01).",
        ),
        ({"start": "yesterday", "end": "2026-03-01"}, "Enter the start date as YYYY-MM-DD."),
        ({"start": "2026-03-01", "end": "2026-04-01"}, "The range cannot end after today (2026-03-15)."),
        ({"start": "2020-01-01", "end": "2026-03-01"}, "A range can span at most 731 days."),
    ],
)
def test_a_bad_range_shows_a_message_and_the_default_range(staff_client, frozen, params, message):
    EventFactory(event="signup_completed", created_at=frozen - timedelta(days=1))
    response = staff_client.get(URL, params)
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html and "Showing the last 30 days instead." in html
    data = response.context["data"]
    assert data.window.is_default and data.funnel[0].count == 1
    # The CSV falls back the same way.
    assert staff_client.get(CSV_URL, params).status_code == 200


def test_csv_export(staff_client, frozen):
    _small_case(frozen)
    response = staff_client.get(CSV_URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="syllabus-analytics-2026-02-13-2026-03-15.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert ["Funnel step", "Events", "Conversion from previous step (%)"] in rows
    assert ["Signed up", "4", ""] in rows
    assert ["Onboarded", "3", "75.0"] in rows
    assert ["Subscribed", "3", ""] in rows  # after 0 saw the paywall there is no rate
    assert ["Overall (subscribed / signed up)", "", "75.0"] in rows
    assert ["MONTHLY", "2"] in rows and ["ANNUAL", "1"] in rows
    assert ["MRR now (USD)", "49.00"] in rows
    assert ["Foundations & <basics>", "yes", "2", "1", "50.0"] in rows
    daily_header = rows.index(
        ["Date", "Sign-ups", "Onboarded", "Activated", "Saw paywall", "Subscribed", "Active learners", "MRR (USD)"]
    )
    daily = rows[daily_header + 1 :]
    assert len(daily) == 31 and daily[0][0] == "2026-02-13" and daily[-1][0] == "2026-03-15"
    assert sum(int(r[1]) for r in daily) == 4
    assert daily[-1][7] == "49.00"  # today: live MRR


def test_csv_neutralises_formulas_in_titles(staff_client):
    LessonFactory(module=ModuleFactory(order=1, title='=HYPERLINK("http://x")'), order=1)
    rows = list(csv.reader(io.StringIO(staff_client.get(CSV_URL).content.decode())))
    assert any(r and r[0] == '\'=HYPERLINK("http://x")' for r in rows)


def test_the_dashboard_query_count_does_not_grow_with_the_data(staff_client, frozen):
    LessonFactory(module=ModuleFactory(order=100), order=1)
    staff_client.get(URL)  # warm: the session's bookkeeping on a first request is not the dashboard's

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert staff_client.get(URL).status_code == 200
        return len(queries)

    small_live = count()
    completion_snapshot_record()
    small_rolled = count()
    CompletionSnapshot.objects.all().delete()
    users = UserFactory.create_batch(20)
    random_events(rng=random.Random(3), now=frozen, count=4000, users=users)
    for order in range(1, 6):
        module = ModuleFactory(order=order)
        for lesson_order in range(1, 4):
            lesson = LessonFactory(module=module, order=lesson_order)
            for user in users[:5]:
                LessonProgressFactory(user=user, lesson=lesson)
    SubscriptionFactory.create_batch(5)
    large_live = count()
    rollup_refresh_due()
    completion_snapshot_record()
    large_rolled = count()
    # Only whether the hourly snapshot exists yet matters (completion counted live: one query more), never size.
    assert small_live == large_live == small_rolled + 1 == large_rolled + 1


def test_the_dashboard_warns_when_the_rollups_are_behind(staff_client, frozen):
    EventFactory(event="signup_completed", created_at=frozen - timedelta(days=20))
    rollup_refresh(first_day=date(2026, 2, 1), last_day=date(2026, 3, 12))  # the beat stopped on the 13th
    html = staff_client.get(URL).content.decode()
    assert "The daily rollups end on Mar 12, 2026, 1 day(s) behind" in html
    rollup_refresh_due()
    response = staff_client.get(URL)
    assert "The daily rollups end on" not in response.content.decode()
    assert response.context["data"].funnel[0].count == 1
