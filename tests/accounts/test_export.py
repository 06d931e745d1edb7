import json
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from analytics.services import event_track
from emails.models import EmailLog, EmailStatus, EmailTemplate
from tests.accounts.factories import UserFactory
from tests.billing.factories import SubscriptionFactory
from tests.progress.factories import LessonProgressFactory

pytestmark = pytest.mark.django_db


def _export(client):
    response = client.get("/account/export/")
    assert response.status_code == 200
    return response, json.loads(response.content)


def _fill(user, lessons, n, skip=0):
    for lesson in lessons[skip : skip + n]:
        LessonProgressFactory(user=user, lesson=lesson, position_seconds=42)
    for _ in range(n):
        event_track(name="lesson_viewed", user=user, properties={"lesson_id": lessons[0].pk})
        EmailLog.objects.create(
            user=user, template=EmailTemplate.WELCOME, to=user.email, subject="Welcome", status=EmailStatus.SENT
        )


def test_download_my_data_is_a_json_attachment_of_everything_about_the_user(client, course):
    user = UserFactory(name="Ada", user_type="SOLO_BUILDER", build_goal="A CRM", experience_level="BEGINNER")
    SubscriptionFactory(user=user, current_period_end=datetime(2026, 12, 24, tzinfo=UTC))
    _fill(user, course["lessons"], 2)
    stranger = UserFactory()
    _fill(stranger, course["lessons"], 3)
    client.force_login(user)

    response, data = _export(client)

    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="syllabus-data-')
    assert response["Cache-Control"] == "no-store"
    assert data["profile"]["email"] == user.email and data["profile"]["name"] == "Ada"
    assert data["profile"]["user_type"] == "SOLO_BUILDER" and data["profile"]["build_goal"] == "A CRM"
    assert "password" not in json.dumps(data["profile"])
    assert [p["lesson_title"] for p in data["progress"]] == [lesson.title for lesson in course["lessons"][:2]]
    assert data["progress"][0]["position_seconds"] == 42 and data["progress"][0]["completed"] is True
    assert data["subscription"]["plan"] == "MONTHLY" and data["subscription"]["status"] == "ACTIVE"
    assert data["subscription"]["current_period_end"] == "2026-12-24T00:00:00+00:00"
    assert [e["event"] for e in data["events"]] == ["lesson_viewed", "lesson_viewed"]
    assert [(e["template"], e["to"], e["status"]) for e in data["emails"]] == [("WELCOME", user.email, "SENT")] * 2
    assert stranger.email not in response.content.decode()


def test_a_new_account_exports_empty_sections(client, user):
    client.force_login(user)
    _, data = _export(client)
    assert data["progress"] == [] and data["events"] == [] and data["emails"] == []
    assert data["subscription"] is None and data["connected_accounts"] == []


def test_the_export_costs_the_same_queries_however_much_data_there_is(client, course):
    user = UserFactory()
    client.force_login(user)
    client.get("/account/")  # session tracking settles on the first request
    _fill(user, course["lessons"], 1)
    with CaptureQueriesContext(connection) as few:
        _export(client)
    _fill(user, course["lessons"], 5, skip=1)
    with CaptureQueriesContext(connection) as many:
        _, data = _export(client)
    assert len(data["events"]) == 6 and len(data["progress"]) == 6 and len(data["emails"]) == 6
    assert len(many) == len(few)
