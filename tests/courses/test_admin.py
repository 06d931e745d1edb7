"""Content admin: lesson page, video upload, body validation and preview, ordering, publishing, audit."""

from __future__ import annotations

import json
from typing import Any
from unittest import mock

import pytest
from django import forms
from django.contrib.admin.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from courses import mux, services
from courses.models import Asset, Lesson, Module, VideoStatus
from courses.structure import content_version
from tests.courses.factories import LessonFactory, ModuleFactory

DOC = {
    "type": "doc",
    "content": [
        {"type": "heading", "attrs": {"level": 2}, "content": [{"type": "text", "text": "Setting up"}]},
        {
            "type": "paragraph",
            "content": [
                {"type": "text", "text": "Read the "},
                {"type": "text", "text": "docs", "marks": [{"type": "bold"}]},
            ],
        },
    ],
}


@pytest.fixture
def admin_client(client: Any, admin_user: Any) -> Any:
    client.force_login(admin_user)
    return client


def change_url(obj: Lesson | Module) -> str:
    return f"/admin/courses/{obj._meta.model_name}/{obj.pk}/change/"


def form_data(response: Any) -> dict[str, Any]:
    """The POST body the change form would send as rendered: main form, every inline, management forms."""
    data: dict[str, Any] = {}

    def add(form: forms.BaseForm) -> None:
        for bound in form:
            value = bound.value()
            if isinstance(bound.field, forms.FileField):
                continue
            if isinstance(bound.field, forms.BooleanField):
                if value:
                    data[bound.html_name] = "on"
                continue
            data[bound.html_name] = "" if value is None else value

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        add(inline.formset.management_form)
        for form in inline.formset.forms:
            add(form)
    return data


def assert_deferred_constraints_hold() -> None:
    """The order constraints are DEFERRED (checked at COMMIT, which a test's transaction never reaches)."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # checks what is pending now, raising on a duplicate
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # back to the constraints' own (initially deferred) mode


def log_messages(obj: Any) -> list[str]:
    return [entry.get_change_message() for entry in LogEntry.objects.filter(object_id=str(obj.pk)).order_by("id")]


# --- the lesson page -------------------------------------------------------------------------


def test_lesson_change_page_shows_video_panel_preview_and_learner_link(admin_client: Any) -> None:
    lesson = LessonFactory(content=DOC, video_status=VideoStatus.READY, mux_playback_id="playAbc", video_duration=61)
    response = admin_client.get(change_url(lesson))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-upload-url="/admin/courses/lesson/{lesson.pk}/video-upload/"' in html
    assert 'accept="video/*"' in html
    assert "video-status--ready" in html
    assert f'href="/lessons/{lesson.pk}/"' in html
    assert "Preview as learner" in html
    assert "<h2>Setting up</h2>" in html  # the body rendered by the lesson page's renderer
    assert "admin/courses/lesson_video_upload.js" in html


def test_lesson_add_page_asks_to_save_before_uploading(admin_client: Any) -> None:
    response = admin_client.get("/admin/courses/lesson/add/")
    assert response.status_code == 200
    assert "Save the lesson first" in response.content.decode()


def test_lesson_list_shows_status_and_preview_links(admin_client: Any, course: dict[str, Any]) -> None:
    response = admin_client.get("/admin/courses/lesson/")
    assert response.status_code == 200
    assert response.content.decode().count("Preview as learner") == len(course["lessons"])


def test_admin_pages_need_staff(client: Any, user: Any) -> None:
    lesson = LessonFactory()
    client.force_login(user)
    for url in (change_url(lesson), f"/admin/courses/lesson/{lesson.pk}/video-status/"):
        assert client.get(url).status_code == 302
    response = client.post(f"/admin/courses/lesson/{lesson.pk}/video-upload/", {"file_name": "a.mp4"})
    assert response.status_code == 302
    lesson.refresh_from_db()
    assert lesson.mux_upload_id is None


# --- video upload ------------------------------------------------------------------------------


def upload_url(lesson: Lesson) -> str:
    return f"/admin/courses/lesson/{lesson.pk}/video-upload/"


def fake_upload(**kwargs: Any) -> mux.DirectUpload:
    return mux.DirectUpload(
        id="upload123",
        url="https://storage.googleapis.com/video-storage-us-east1-uploads/upload123?Signature=x",
        playback_policy=kwargs["playback_policy"],
        passthrough=kwargs["passthrough"],
    )


def test_video_upload_creates_a_signed_mux_upload_and_waits(admin_client: Any) -> None:
    lesson = LessonFactory(is_free=False, mux_playback_id=None, video_duration=None)
    with mock.patch("courses.mux.direct_upload_create", side_effect=fake_upload) as create:
        response = admin_client.post(
            upload_url(lesson), {"file_name": "lesson-2.mp4", "content_type": "video/mp4", "size": "10485760"}
        )
    assert response.status_code == 200
    create.assert_called_once_with(passthrough=lesson.pk, playback_policy="signed", cors_origin="http://testserver")
    body = response.json()
    assert body["upload_url"].startswith("https://storage.googleapis.com/")
    assert (body["upload_id"], body["status"], body["status_label"]) == ("upload123", "WAITING", "Waiting for upload")
    lesson.refresh_from_db()
    assert (lesson.mux_upload_id, lesson.video_status, lesson.mux_playback_policy) == (
        "upload123",
        VideoStatus.WAITING,
        "signed",
    )
    assert log_messages(lesson) == ["Started a video upload of “lesson-2.mp4” (Mux upload upload123, signed playback)."]


def test_video_upload_for_a_free_lesson_is_public(admin_client: Any) -> None:
    lesson = LessonFactory(is_free=True)
    with mock.patch("courses.mux.direct_upload_create", side_effect=fake_upload) as create:
        response = admin_client.post(upload_url(lesson), {"file_name": "intro.MOV", "content_type": "video/quicktime"})
    assert response.status_code == 200
    assert create.call_args.kwargs["playback_policy"] == "public"
    lesson.refresh_from_db()
    assert lesson.mux_playback_policy == "public"


def test_video_upload_error_from_mux_is_a_clear_message_and_nothing_is_saved(admin_client: Any) -> None:
    lesson = LessonFactory(mux_playback_id="keepMe", video_status=VideoStatus.READY)
    error = mux.MuxError("Mux API error (400): Invalid value for cors_origin")
    with mock.patch("courses.mux.direct_upload_create", side_effect=error):
        response = admin_client.post(upload_url(lesson), {"file_name": "a.mp4", "content_type": "video/mp4"})
    assert response.status_code == 502
    assert response.json() == {
        "error": "The upload could not be started: Mux API error (400): Invalid value for cors_origin"
    }
    lesson.refresh_from_db()
    assert (lesson.mux_upload_id, lesson.video_status, lesson.mux_playback_id) == (None, VideoStatus.READY, "keepMe")
    assert log_messages(lesson) == []


@pytest.mark.parametrize(
    ("file_name", "content_type"),
    [
        ("worksheet.pdf", "application/pdf"),
        ("photo.jpg", "image/jpeg"),
        ("clip.mp4", "application/pdf"),  # a video name with a non-video type
        ("notes", ""),
    ],
)
def test_a_non_video_file_is_refused_before_mux_is_asked(admin_client: Any, file_name: str, content_type: str) -> None:
    lesson = LessonFactory()
    with mock.patch("courses.mux.direct_upload_create") as create:
        response = admin_client.post(upload_url(lesson), {"file_name": file_name, "content_type": content_type})
    assert response.status_code == 400
    assert f"“{file_name}”" in response.json()["error"]
    assert "is not a video file" in response.json()["error"]
    create.assert_not_called()
    lesson.refresh_from_db()
    assert lesson.video_status == VideoStatus.NONE


def test_a_video_with_a_generic_type_is_accepted_by_its_extension(admin_client: Any) -> None:
    lesson = LessonFactory()
    with mock.patch("courses.mux.direct_upload_create", side_effect=fake_upload):
        response = admin_client.post(upload_url(lesson), {"file_name": "talk.mkv", "content_type": ""})
    assert response.status_code == 200


def test_video_upload_endpoint_refuses_get_and_unknown_lessons(admin_client: Any) -> None:
    lesson = LessonFactory()
    assert admin_client.get(upload_url(lesson)).status_code == 405
    response = admin_client.post("/admin/courses/lesson/nope/video-upload/", {"file_name": "a.mp4"})
    assert response.status_code == 404


def test_video_upload_needs_the_csrf_token(client: Any, admin_user: Any) -> None:
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(admin_user)
    lesson = LessonFactory()
    with mock.patch("courses.mux.direct_upload_create", side_effect=fake_upload) as create:
        response = csrf_client.post(upload_url(lesson), {"file_name": "a.mp4", "content_type": "video/mp4"})
    assert response.status_code == 403
    create.assert_not_called()


def test_video_status_endpoint_reports_the_lesson_state(admin_client: Any) -> None:
    lesson = LessonFactory(video_status=VideoStatus.ERRORED, video_error="invalid_input: no video stream")
    response = admin_client.get(f"/admin/courses/lesson/{lesson.pk}/video-status/")
    assert response.status_code == 200
    assert response.json()["status"] == "ERRORED"
    assert response.json()["error"] == "invalid_input: no video stream"


def test_errored_video_shows_its_error_on_the_lesson_page(admin_client: Any) -> None:
    lesson = LessonFactory(video_status=VideoStatus.ERRORED, video_error="invalid_input: the file is not a video")
    html = admin_client.get(change_url(lesson)).content.decode()
    assert "video-status--errored" in html
    assert "invalid_input: the file is not a video" in html


# --- lesson body: validated TipTap JSON and its live preview ------------------------------------


def test_saving_a_valid_body(admin_client: Any) -> None:
    lesson = LessonFactory(content=None)
    data = form_data(admin_client.get(change_url(lesson)))
    data["content"] = json.dumps(DOC)
    response = admin_client.post(change_url(lesson), data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    lesson.refresh_from_db()
    assert lesson.content == DOC


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "Enter a valid JSON."),
        (json.dumps({"type": "paragraph"}), "The body must be a TipTap document"),
        (json.dumps([1, 2]), "The body must be a TipTap document"),
        (
            json.dumps({"type": "doc", "content": [{"type": "script"}]}),
            "content[0]: unknown node type &#x27;script&#x27;",
        ),
        (
            json.dumps({"type": "doc", "content": [{"type": "paragraph", "content": [{"type": "text"}]}]}),
            "content[0].content[0]: a text node needs a &quot;text&quot; string.",
        ),
        (
            json.dumps({"type": "doc", "content": [{"type": "heading", "attrs": {"level": 9}}]}),
            "a heading needs attrs.level between 1 and 6",
        ),
        (
            json.dumps(
                {
                    "type": "doc",
                    "content": [
                        {"type": "paragraph", "content": [{"type": "text", "text": "x", "marks": [{"type": "blink"}]}]}
                    ],
                }
            ),
            "unknown mark type &#x27;blink&#x27;",
        ),
    ],
)
def test_an_invalid_body_is_a_form_error_and_nothing_is_saved(admin_client: Any, content: str, message: str) -> None:
    lesson = LessonFactory(content=DOC, title="Before")
    data = form_data(admin_client.get(change_url(lesson)))
    data["content"] = content
    data["title"] = "After"
    response = admin_client.post(change_url(lesson), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    lesson.refresh_from_db()
    assert (lesson.title, lesson.content) == ("Before", DOC)


def test_preview_renders_sanitised_html(admin_client: Any) -> None:
    doc = {
        "type": "doc",
        "content": [
            {
                "type": "paragraph",
                "content": [
                    {"type": "text", "text": "<script>alert(1)</script>"},
                    {
                        "type": "text",
                        "text": "link",
                        "marks": [{"type": "link", "attrs": {"href": "javascript:alert(1)"}}],
                    },
                ],
            },
            *DOC["content"],
        ],
    }
    response = admin_client.post("/admin/courses/lesson/content-preview/", {"content": json.dumps(doc)})
    assert response.status_code == 200
    html = response.json()["html"]
    assert "<h2>Setting up</h2>" in html
    assert "<strong>docs</strong>" in html
    assert "<script>" not in html
    assert "javascript:" not in html


def test_preview_of_an_invalid_document_lists_its_errors(admin_client: Any) -> None:
    response = admin_client.post("/admin/courses/lesson/content-preview/", {"content": '{"type": "doc", "content": 3}'})
    assert response.status_code == 400
    assert response.json() == {"html": "", "errors": ['doc: "content" must be a list.']}
    response = admin_client.post("/admin/courses/lesson/content-preview/", {"content": "{oops"})
    assert response.status_code == 400
    assert response.json()["errors"][0].startswith("Not valid JSON")


def test_preview_needs_staff(client: Any, user: Any) -> None:
    client.force_login(user)
    response = client.post("/admin/courses/lesson/content-preview/", {"content": json.dumps(DOC)})
    assert response.status_code == 302


# --- ordering ----------------------------------------------------------------------------------


def test_a_taken_lesson_position_is_a_clear_form_error(admin_client: Any) -> None:
    module = ModuleFactory(title="Foundations")
    LessonFactory(module=module, order=1, title="Welcome")
    second = LessonFactory(module=module, order=2, title="Second")
    data = form_data(admin_client.get(change_url(second)))
    data["order"] = "1"
    response = admin_client.post(change_url(second), data)
    assert response.status_code == 200
    assert "Position 1 in “Foundations” is taken by the lesson “Welcome”" in response.content.decode()
    second.refresh_from_db()
    assert second.order == 2


LESSONS = "/admin/courses/lesson/"


MODULES_DRAG = "/admin/courses/module/adminsortable2_update/"


def drag(admin_client: Any, items: Any, url: str = MODULES_DRAG, **kwargs: Any) -> Any:
    """What django-admin-sortable2's changelist script posts after a drag."""
    return admin_client.post(
        url,
        json.dumps({"updatedItems": items}) if not isinstance(items, bytes) else items,
        content_type="application/json",
        **kwargs,
    )


def lesson_drag_url(module: Module) -> str:
    return f"{LESSONS}adminsortable2_update/?module__id__exact={module.pk}"


def test_dragging_modules_swaps_positions_atomically_and_logs_each_move(admin_client: Any) -> None:
    first, second, third = ModuleFactory(order=1), ModuleFactory(order=2), ModuleFactory(order=3)
    response = drag(admin_client, [[third.pk, 1], [first.pk, 2], [second.pk, 3]])
    assert response.status_code == 200, response.content
    assert_deferred_constraints_hold()
    assert list(Module.objects.order_by("order").values_list("pk", flat=True)) == [third.pk, first.pk, second.pk]
    assert log_messages(third) == ["Moved from position 3 to 1."]
    assert log_messages(first) == ["Moved from position 1 to 2."]


BAD_DRAGS = [
    "duplicate",
    "unknown",
    "huge",
    "negative",
    "twice",
    b"not json",
    b"[1, 2]",
    b'{"updatedItems": [["a"]]}',
    b'{"updatedItems": [[1, 2]]}',
    b'{"updatedItems": 5}',
    b'{"updatedItems": []}',
    b'{"other": 1}',
    b'{"updatedItems": [["a", true]]}',
    b'{"updatedItems": [["a", 1.5]]}',
    b'{"updatedItems": [["a", "1"]]}',
    b'{"updatedItems": [["a", 1, 2]]}',
    b'{"updatedItems": [["a", 1]]}' + b" " * (300 * 1024),
    b'{"updatedItems": [[[[["a", 1]]]]]}',
    b'{"updatedItems": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    b'{"updatedItems": [["a\\u0000", 1]]}',
]


def _bad_drag_payload(items: Any, first: Any, second: Any) -> Any:
    named = {
        "duplicate": [[first.pk, 2]],
        "unknown": [["nosuchrow", 5]],
        "huge": [[first.pk, 10**12]],
        "negative": [[first.pk, -1]],
        "twice": [[first.pk, 2], [first.pk, 3], [second.pk, 1]],
    }
    return named[items] if isinstance(items, str) else items


@pytest.mark.parametrize("items", BAD_DRAGS)
def test_a_bad_drag_post_is_a_400_and_changes_nothing(admin_client: Any, items: Any) -> None:
    first, second = ModuleFactory(order=1), ModuleFactory(order=2)
    response = drag(admin_client, _bad_drag_payload(items, first, second))
    assert response.status_code == 400
    assert response.json()["error"]
    assert list(Module.objects.order_by("order").values_list("pk", flat=True)) == [first.pk, second.pk]
    assert not LogEntry.objects.exists()


def test_dragging_needs_staff(client: Any, user: Any) -> None:
    first = ModuleFactory(order=1)
    lesson = LessonFactory(module=first, order=1)
    client.force_login(user)
    for url, pk in ((MODULES_DRAG, first.pk), (lesson_drag_url(first), lesson.pk)):
        response = drag(client, [[pk, 2]], url=url)
        assert response.status_code == 302  # to the admin login
    first.refresh_from_db()
    lesson.refresh_from_db()
    assert (first.order, lesson.order) == (1, 1)


def test_a_new_module_goes_last_and_its_page_has_no_position_box(admin_client: Any) -> None:
    ModuleFactory(order=1)
    ModuleFactory(order=7)
    assert 'name="order"' not in admin_client.get("/admin/courses/module/add/").content.decode()
    response = admin_client.post(
        "/admin/courses/module/add/",
        {
            "title": "New",
            "lessons-TOTAL_FORMS": "0",
            "lessons-INITIAL_FORMS": "0",
            "lessons-MIN_NUM_FORMS": "0",
            "lessons-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 302
    assert Module.objects.get(title="New").order == 8


def test_a_new_lesson_goes_last_in_its_own_module(admin_client: Any) -> None:
    module, other = ModuleFactory(), ModuleFactory()
    LessonFactory(module=module, order=3)
    LessonFactory(module=other, order=40)  # positions are per module
    data = form_data(admin_client.get(f"{LESSONS}add/"))
    assert "order" not in data
    data.update(module=module.pk, title="New lesson")
    response = admin_client.post(f"{LESSONS}add/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Lesson.objects.get(title="New lesson").order == 4


def test_module_inline_swaps_lessons_and_refuses_duplicates(admin_client: Any) -> None:
    module = ModuleFactory()
    a, b = LessonFactory(module=module, order=1), LessonFactory(module=module, order=2)
    data = form_data(admin_client.get(change_url(module)))
    prefix = "lessons"
    index = {data[f"{prefix}-{i}-id"]: i for i in range(2)}
    data[f"{prefix}-{index[a.pk]}-order"], data[f"{prefix}-{index[b.pk]}-order"] = "2", "1"
    assert admin_client.post(change_url(module), data).status_code == 302
    assert_deferred_constraints_hold()
    a.refresh_from_db()
    assert a.order == 2

    data = form_data(admin_client.get(change_url(module)))
    data[f"{prefix}-0-order"] = data[f"{prefix}-1-order"]
    response = admin_client.post(change_url(module), data)
    assert response.status_code == 200
    assert "is given to more than one row" in response.content.decode()


# --- the lesson list: drag within one module ---------------------------------------------------


def lesson_positions(module: Module) -> list[tuple[str, int]]:
    return list(Lesson.objects.filter(module=module).order_by("order").values_list("title", "order"))


def test_the_lesson_list_drags_only_one_whole_module(admin_client: Any) -> None:
    module, other = ModuleFactory(title="Foundations"), ModuleFactory(title="Advanced")
    a = LessonFactory(module=module, order=1)
    LessonFactory(module=other, order=1)

    every = admin_client.get(LESSONS).content.decode()
    assert 'class="drag handle"' not in every  # lessons of two modules: no drag
    assert "choose one module" in every
    assert f"{LESSONS}?module__id__exact={module.pk}" in admin_client.get("/admin/courses/module/").content.decode()

    one = admin_client.get(f"{LESSONS}?module__id__exact={module.pk}").content.decode()
    assert f'class="drag handle" pk="{a.pk}" order="1"' in one
    assert "reorder the lessons of “Foundations”" in one
    assert f'"update_url": "{lesson_drag_url(module)}"' in one
    assert "move_to_" not in one

    for narrowed in ("&q=x", "&published__exact=1", "&o=1"):  # some lessons hidden, or not by position
        page = admin_client.get(f"{LESSONS}?module__id__exact={module.pk}{narrowed}").content.decode()
        assert 'class="drag handle"' not in page, narrowed


def test_dragging_lessons_reorders_one_module_atomically_logs_and_shows_learners(admin_client: Any) -> None:
    module, other = ModuleFactory(title="Foundations"), ModuleFactory(title="Advanced")
    a, b, c = (LessonFactory(module=module, order=n, title=t) for n, t in ((10, "A"), (20, "B"), (30, "C")))
    untouched = LessonFactory(module=other, order=11, title="Other")
    version = content_version()
    # Drag C to the top: sortable2 renumbers the rows it passed from the first row's position.
    response = drag(admin_client, [[c.pk, 10], [a.pk, 11], [b.pk, 12]], url=lesson_drag_url(module))
    assert response.status_code == 200, response.content
    assert response.json() == {"updated": 3}
    assert_deferred_constraints_hold()
    assert lesson_positions(module) == [("C", 10), ("A", 11), ("B", 12)]
    assert lesson_positions(other) == [("Other", 11)]
    assert log_messages(c) == ["Moved from position 30 to 10."]
    assert log_messages(a) == ["Moved from position 10 to 11."]
    assert log_messages(untouched) == []
    assert content_version() != version  # the learner pages' cached structure is rebuilt


@pytest.mark.parametrize("items", [*BAD_DRAGS, "other module", "no module", "unknown module"])
def test_a_bad_lesson_drag_is_a_400_and_changes_nothing(admin_client: Any, items: Any) -> None:
    module, other = ModuleFactory(title="Foundations"), ModuleFactory(title="Advanced")
    first, second = LessonFactory(module=module, order=1), LessonFactory(module=module, order=2)
    stranger = LessonFactory(module=other, order=3, title="Elsewhere")
    url = lesson_drag_url(module)
    if items == "other module":
        payload: Any = [[first.pk, 3], [stranger.pk, 1]]
    elif items in ("no module", "unknown module"):
        payload = [[second.pk, 1], [first.pk, 2]]
        url = f"{LESSONS}adminsortable2_update/" + ("?module__id__exact=nosuch" if items == "unknown module" else "")
    else:
        payload = _bad_drag_payload(items, first, second)
    response = drag(admin_client, payload, url=url)
    assert response.status_code == 400
    error = response.json()["error"]
    if items == "other module":
        assert "“Elsewhere” (in “Advanced”)" in error
        assert "change its module on its own page" in error
    if items == "no module":
        assert "filter the lesson list by a module" in error
    assert lesson_positions(module) == [(first.title, 1), (second.title, 2)]
    assert lesson_positions(other) == [("Elsewhere", 3)]
    assert not LogEntry.objects.exists()


def test_lessons_reorder_locks_the_module_rows_in_one_transaction(db: None) -> None:
    module = ModuleFactory()
    a, b = LessonFactory(module=module, order=1), LessonFactory(module=module, order=2)
    with CaptureQueriesContext(connection) as queries:
        changes = services.lessons_reorder(module_id=module.pk, orders={a.pk: 2, b.pk: 1})
    assert [(c.obj.pk, c.old_order, c.new_order) for c in changes] == [(a.pk, 1, 2), (b.pk, 2, 1)]
    sql = [q["sql"] for q in queries.captured_queries]
    locks = [q for q in sql if "FOR UPDATE" in q]
    assert len(locks) == 1 and '"courses_lesson"."module_id"' in locks[0]
    assert sql[0].startswith("SAVEPOINT") and sql[-1].startswith("RELEASE SAVEPOINT")  # one atomic block


# --- publishing and the audit trail ------------------------------------------------------------


def test_publish_and_unpublish_actions_write_the_admin_log_shown_on_history(admin_client: Any, admin_user: Any) -> None:
    draft = LessonFactory(published=False)
    live = LessonFactory(published=True)
    response = admin_client.post(
        "/admin/courses/lesson/", {"action": "publish", "_selected_action": [draft.pk, live.pk]}, follow=True
    )
    assert "1 lesson published." in response.content.decode()
    draft.refresh_from_db()
    assert draft.published is True
    assert log_messages(live) == []  # nothing changed, nothing logged

    admin_client.post("/admin/courses/lesson/", {"action": "unpublish", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.published is False
    entries = LogEntry.objects.filter(object_id=draft.pk).order_by("id")
    assert [(e.user_id, e.get_change_message()) for e in entries] == [
        (admin_user.pk, "Published."),
        (admin_user.pk, "Unpublished."),
    ]

    history = admin_client.get(f"/admin/courses/lesson/{draft.pk}/history/").content.decode()
    assert "Published." in history
    assert "Unpublished." in history
    assert admin_user.email in history or str(admin_user) in history


def test_module_publish_action(admin_client: Any) -> None:
    module = ModuleFactory(published=False)
    admin_client.post("/admin/courses/module/", {"action": "publish", "_selected_action": [module.pk]})
    module.refresh_from_db()
    assert module.published is True
    assert log_messages(module) == ["Published."]


def test_history_lists_upload_move_and_edit(admin_client: Any) -> None:
    module = ModuleFactory()
    first = LessonFactory(module=module, order=1)
    lesson = LessonFactory(module=module, order=2)
    with mock.patch("courses.mux.direct_upload_create", side_effect=fake_upload):
        admin_client.post(upload_url(lesson), {"file_name": "talk.mp4", "content_type": "video/mp4"})
    drag(admin_client, [[lesson.pk, 1], [first.pk, 2]], url=lesson_drag_url(module))
    data = form_data(admin_client.get(change_url(lesson)))
    data["title"] = "Renamed"
    admin_client.post(change_url(lesson), data)
    history = admin_client.get(f"/admin/courses/lesson/{lesson.pk}/history/").content.decode()
    assert "Started a video upload of “talk.mp4”" in history
    assert "Moved from position 2 to 1." in history
    assert "Changed Title." in history


# --- lesson files (local storage; S3 in test_assets_s3.py) -------------------------------------


def test_asset_upload_records_name_size_and_type(admin_client: Any) -> None:
    lesson = LessonFactory()
    data = form_data(admin_client.get(change_url(lesson)))
    data.update(
        {
            "assets-0-title": "",
            "assets-0-order": "2",
            "assets-0-file": SimpleUploadedFile("cheat-sheet.pdf", b"%PDF-1.7 " + b"x" * 991, "application/pdf"),
        }
    )
    response = admin_client.post(change_url(lesson), data)
    assert response.status_code == 302
    asset = Asset.objects.get(lesson=lesson)
    assert (asset.title, asset.file_name, asset.file_size, asset.mime_type, asset.order) == (
        "cheat-sheet",
        "cheat-sheet.pdf",
        1000,
        "application/pdf",
        2,
    )
    assert asset.file.name.startswith(f"assets/{lesson.pk}/")
    with asset.file.open("rb") as stored:
        assert stored.read().startswith(b"%PDF-1.7")


def test_asset_type_is_guessed_when_the_browser_sends_a_generic_one(admin_client: Any) -> None:
    lesson = LessonFactory()
    data = form_data(admin_client.get(change_url(lesson)))
    data["assets-0-title"] = "Starter"
    data["assets-0-file"] = SimpleUploadedFile("starter.zip", b"PK\x03\x04rest", "application/octet-stream")
    assert admin_client.post(change_url(lesson), data).status_code == 302
    assert Asset.objects.get(lesson=lesson).mime_type == "application/zip"


def test_an_oversized_asset_is_a_clear_form_error_and_nothing_is_saved(admin_client: Any, settings: Any) -> None:
    settings.ASSET_MAX_UPLOAD_BYTES = 1024
    lesson = LessonFactory(title="Before")
    data = form_data(admin_client.get(change_url(lesson)))
    data["title"] = "After"
    data["assets-0-title"] = "Too big"
    data["assets-0-file"] = SimpleUploadedFile("big.pdf", b"x" * 2048, "application/pdf")
    response = admin_client.post(change_url(lesson), data)
    assert response.status_code == 200
    assert "“big.pdf” is 2.0\xa0KB; a lesson file may be at most 1.0\xa0KB." in response.content.decode()
    assert not Asset.objects.exists()
    lesson.refresh_from_db()
    assert lesson.title == "Before"


def test_assets_are_listed_in_order_on_the_lesson(admin_client: Any) -> None:
    from tests.courses.factories import AssetFactory

    lesson = LessonFactory()
    AssetFactory(lesson=lesson, order=2, title="Second file")
    AssetFactory(lesson=lesson, order=1, title="First file")
    html = admin_client.get(change_url(lesson)).content.decode()
    assert html.index("First file") < html.index("Second file")


def test_asset_admin_add_page_uploads_with_metadata(admin_client: Any) -> None:
    lesson = LessonFactory()
    response = admin_client.post(
        "/admin/courses/asset/add/",
        {
            "lesson": lesson.pk,
            "order": "0",
            "title": "Slides",
            "file": SimpleUploadedFile("slides.key", b"k" * 300, ""),
        },
    )
    assert response.status_code == 302
    asset = Asset.objects.get()
    assert (asset.lesson_id, asset.file_name, asset.file_size) == (lesson.pk, "slides.key", 300)
    assert asset.mime_type  # guessed from the name, or the generic type when unknown
    assert log_messages(asset) == ["Added."]


def test_an_assets_current_file_links_to_the_download_view_not_media(admin_client: Any) -> None:
    # /media/ is not served (files go through the access-checked view), so a raw storage URL would be a dead link.
    from tests.courses.factories import AssetFactory

    asset = AssetFactory(title="Worksheet")
    download = f"/assets/{asset.pk}/download/"
    for page in (change_url(asset.lesson), f"/admin/courses/asset/{asset.pk}/change/"):
        html = admin_client.get(page).content.decode()
        assert f'href="{download}"' in html, page
        assert 'href="/media/' not in html, page
    response = admin_client.get(download)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"# Worksheet\n"
