"""The admin log is the audit trail: who changed what and when, listed on each object's History page."""

from __future__ import annotations

from typing import Any

from django.contrib.admin.models import CHANGE, LogEntry

from tests.accounts.factories import UserFactory
from tests.courses.factories import LessonFactory
from tests.courses.test_admin import change_url, form_data


def test_a_user_changed_in_the_admin_is_on_that_users_history(client: Any, admin_user: Any) -> None:
    client.force_login(admin_user)
    learner = UserFactory(access_override=False)
    url = f"/admin/accounts/user/{learner.pk}/change/"
    data = form_data(client.get(url))
    data["access_override"] = "on"
    response = client.post(url, data)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    learner.refresh_from_db()
    assert learner.access_override is True
    entry = LogEntry.objects.get(object_id=learner.pk)
    assert (entry.user_id, entry.action_flag, entry.get_change_message()) == (
        admin_user.pk,
        CHANGE,
        "Changed Access override.",
    )
    history = client.get(f"/admin/accounts/user/{learner.pk}/history/").content.decode()
    assert "Changed Access override." in history
    assert admin_user.email in history


def test_a_lesson_edit_is_on_the_lessons_history_with_who_and_what(client: Any, admin_user: Any) -> None:
    client.force_login(admin_user)
    lesson = LessonFactory(title="Old title", published=False)
    data = form_data(client.get(change_url(lesson)))
    data["title"] = "New title"
    data["published"] = "on"
    assert client.post(change_url(lesson), data).status_code == 302
    entry = LogEntry.objects.get(object_id=lesson.pk)
    assert entry.user_id == admin_user.pk
    assert entry.get_change_message() == "Changed Title and Published."
    history = client.get(f"/admin/courses/lesson/{lesson.pk}/history/").content.decode()
    assert "Changed Title and Published." in history
