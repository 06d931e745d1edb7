"""Notes through the site: the access matrix, timestamps in range, /notes/ grouped and searchable,
the Markdown export, "Download my data" and account deletion."""

import json

import pytest

from notes.models import Note
from tests.billing.factories import SubscriptionFactory
from tests.community_personas import EXPECTED, LESSONS, PERSONAS, lesson_of, persona, sign_in
from tests.courses.factories import LessonFactory, ModuleFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("who", PERSONAS)
@pytest.mark.parametrize("kind", LESSONS)
def test_access_matrix_for_notes(client, course, who, kind):
    lesson = lesson_of(kind, course)
    user = persona(who)
    sign_in(client, user)
    expected = EXPECTED[who][kind]
    page = client.get(f"/lessons/{lesson.pk}/")
    assert ("data-lesson-notes" in page.content.decode()) is (expected == "watch")
    response = client.post(f"/lessons/{lesson.pk}/notes/", {"body": "A thought", "position": "30"})
    if expected == "watch":
        assert response.status_code == 302
        assert Note.objects.get().position_seconds == 30
        return
    assert not Note.objects.exists()
    if who == "anonymous":
        expected = "login"  # writing needs an account before anything is looked up
    assert response.status_code == {"login": 302, "paywall": 403, "not_found": 404}[expected]


def test_notes_are_private(client, course, subscriber):
    lesson = course["lessons"][1]
    theirs = Note.objects.create(
        user=SubscriptionFactory().user, lesson=lesson, body="Their secret", position_seconds=5
    )
    client.force_login(subscriber)
    assert "Their secret" not in client.get(f"/lessons/{lesson.pk}/").content.decode()
    assert "Their secret" not in client.get("/notes/").content.decode()
    assert "Their secret" not in client.get("/notes/export.md").content.decode()
    assert client.post(f"/notes/{theirs.pk}/delete/").status_code == 404
    assert client.post(f"/notes/{theirs.pk}/edit/", {"body": "mine now"}).status_code == 404
    assert Note.objects.get(pk=theirs.pk).body == "Their secret"


@pytest.mark.parametrize(
    ("position", "message"),
    [
        ("-1", "can't be negative"),
        ("601", "past the end of the video (600 seconds)"),
        ("1e12", "past the end"),
        ("nan", "number of seconds"),
        ("inf", "number of seconds"),
        ("soon", "number of seconds"),
    ],
)
def test_timestamps_outside_the_video_are_a_400_and_store_nothing(client, course, subscriber, position, message):
    lesson = course["lessons"][1]  # video_duration = 600
    client.force_login(subscriber)
    response = client.post(
        f"/lessons/{lesson.pk}/notes/", {"body": "x", "position": position}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert not Note.objects.exists()


def test_a_note_saved_by_the_player_script_answers_json(client, course, subscriber):
    lesson = course["lessons"][1]
    client.force_login(subscriber)
    response = client.post(
        f"/lessons/{lesson.pk}/notes/", {"body": "Key idea", "position": "192.7"}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 201
    assert response.json() | {"id": None} == {"id": None, "body": "Key idea", "position": 192, "timestamp": "03:12"}
    for bad in ("", "x" * 5001, "a\x00b"):
        assert client.post(f"/lessons/{lesson.pk}/notes/", {"body": bad}).status_code == 400
    assert Note.objects.count() == 1


def test_notes_page_groups_by_module_searches_and_exports_markdown(client, course, subscriber):
    m1, m2 = course["modules"]
    l1, l4 = course["lessons"][1], course["lessons"][3]
    client.force_login(subscriber)
    Note.objects.create(user=subscriber, lesson=l4, body="Deploy with **care**", position_seconds=75)
    Note.objects.create(user=subscriber, lesson=l1, body="Models first", position_seconds=3725)
    Note.objects.create(user=subscriber, lesson=l1, body="General thought")

    page = client.get("/notes/").content.decode()
    assert page.index(m1.title) < page.index("Models first") < page.index(m2.title) < page.index("Deploy with")
    assert "1:02:05" in page and "01:15" in page

    found = client.get("/notes/", {"q": "deploy"}).content.decode()
    assert "Deploy with" in found and "Models first" not in found
    assert "1 note matching" in found
    assert client.get("/notes/", {"q": "\x00" + "z" * 5000}).status_code == 200

    export = client.get("/notes/export.md")
    assert export["Content-Type"].startswith("text/markdown")
    assert export["Content-Disposition"] == 'attachment; filename="my-notes.md"'
    text = export.content.decode()
    assert f"## {m1.title}" in text and f"### [{l1.title}](http://testserver/lessons/{l1.pk}/)" in text
    assert "- **1:02:05** Models first" in text and "- General thought" in text
    assert "- **01:15** Deploy with **care**" in text


def test_notes_are_in_download_my_data_and_go_with_the_account(client, course, user, ask):
    lesson = course["free_lesson"]
    Note.objects.create(user=user, lesson=lesson, body="Keep me", position_seconds=10)
    ask(user, lesson, "My question")
    client.force_login(user)
    data = json.loads(client.get("/account/export/").content)
    assert data["notes"][0]["body"] == "Keep me" and data["notes"][0]["position_seconds"] == 10
    assert data["questions_and_answers"][0]["body"] == "My question"
    assert data["certificate"] is None

    from accounts.services import user_delete
    from qa.models import Post

    user_delete(user=user)
    assert not Note.objects.exists() and not Post.objects.exists()


def test_lesson_added_later_in_another_module_groups_separately(client, subscriber):
    module = ModuleFactory(order=5)
    lesson = LessonFactory(module=module, order=1)
    Note.objects.create(user=subscriber, lesson=lesson, body="Alone")
    client.force_login(subscriber)
    assert client.get("/notes/").content.decode().count("data-notes-module") == 1


def test_editing_a_note_on_the_notes_page_and_the_writing_limit(client, course, subscriber, settings):
    lesson = course["lessons"][1]
    note = Note.objects.create(user=subscriber, lesson=lesson, body="Draft", position_seconds=9)
    client.force_login(subscriber)
    assert client.post(f"/notes/{note.pk}/edit/", {"body": "", "next": "/notes/"}).status_code == 400
    response = client.post(f"/notes/{note.pk}/edit/", {"body": "Final", "next": "/notes/?q=fin"})
    assert response.status_code == 302 and response["Location"] == "/notes/?q=fin"
    offsite = client.post(f"/notes/{note.pk}/edit/", {"body": "x", "next": "https://evil.example/"})
    assert offsite["Location"] == "/notes/"
    note.refresh_from_db()
    assert note.body == "x"

    settings.NOTES_POST_RATE = "2/10m"
    codes = [client.post(f"/lessons/{lesson.pk}/notes/", {"body": f"n{i}"}).status_code for i in range(3)]
    assert codes == [302, 302, 429]
    assert Note.objects.count() == 3


def test_a_double_click_on_note_at_saves_one_note(client, course, subscriber):
    lesson = course["lessons"][1]
    client.force_login(subscriber)
    for _ in range(2):
        client.post(f"/lessons/{lesson.pk}/notes/", {"body": "Once", "position": "42"}, HTTP_ACCEPT="application/json")
    client.post(f"/lessons/{lesson.pk}/notes/", {"body": "Once", "position": "43"}, HTTP_ACCEPT="application/json")
    assert sorted(Note.objects.values_list("position_seconds", flat=True)) == [42, 43]
