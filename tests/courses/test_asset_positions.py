"""Lesson file positions in the admin: blank goes last, duplicates are a clear error and nothing is saved."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from courses.models import Asset, Lesson
from tests.courses.factories import AssetFactory, LessonFactory
from tests.courses.test_admin import change_url, form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client: Any, admin_user: Any) -> Any:
    client.force_login(admin_user)
    return client


def lesson_form(admin_client: Any, lesson: Lesson, *new_rows: tuple[str, str]) -> dict[str, Any]:
    """The lesson's change form as rendered, with a new file per (title, order) after the existing rows."""
    data = form_data(admin_client.get(change_url(lesson)))
    first_new = int(data["assets-INITIAL_FORMS"])
    for offset, (title, order) in enumerate(new_rows):
        index = first_new + offset
        data[f"assets-{index}-id"] = ""
        data[f"assets-{index}-lesson"] = lesson.pk
        data[f"assets-{index}-title"] = title
        data[f"assets-{index}-order"] = order
        data[f"assets-{index}-file"] = SimpleUploadedFile(f"{title.lower()}.pdf", b"%PDF-1.7 body", "application/pdf")
    data["assets-TOTAL_FORMS"] = str(max(first_new + len(new_rows), int(data["assets-TOTAL_FORMS"])))
    return data


def row_index(data: dict[str, Any], asset: Asset) -> int:
    return next(int(key.split("-")[1]) for key, value in data.items() if key.endswith("-id") and value == asset.pk)


def positions(lesson: Lesson) -> list[tuple[str, int]]:
    return list(Asset.objects.filter(lesson=lesson).order_by("order", "created_at").values_list("title", "order"))


def nothing_stored_for(lesson: Lesson) -> bool:
    return not default_storage.exists(f"assets/{lesson.pk}")


def test_a_new_files_position_shows_blank_not_the_default_zero(admin_client: Any) -> None:
    lesson = LessonFactory()
    response = admin_client.get(change_url(lesson))
    assert form_data(response)["assets-0-order"] == ""
    assert 'placeholder="last"' in response.content.decode()


def test_blank_and_default_positions_go_last_in_the_order_the_rows_were_sent(admin_client: Any) -> None:
    lesson = LessonFactory()
    AssetFactory(lesson=lesson, order=3, title="Existing")
    data = lesson_form(admin_client, lesson, ("Alpha", ""), ("Beta", "0"), ("Gamma", "7"), ("Delta", ""))

    response = admin_client.post(change_url(lesson), data)

    assert response.status_code == 302
    # After the existing file and after the explicitly placed new one, in row order.
    assert positions(lesson) == [("Existing", 3), ("Gamma", 7), ("Alpha", 8), ("Beta", 9), ("Delta", 10)]


def test_the_first_file_on_a_lesson_left_blank_gets_position_one(admin_client: Any) -> None:
    lesson = LessonFactory()
    data = form_data(admin_client.get(change_url(lesson)))
    data["assets-0-title"] = "Only"
    data["assets-0-file"] = SimpleUploadedFile("only.pdf", b"%PDF-1.7", "application/pdf")
    assert admin_client.post(change_url(lesson), data).status_code == 302
    assert positions(lesson) == [("Only", 1)]


def test_two_new_files_at_one_explicit_position_are_refused_and_nothing_is_saved(admin_client: Any) -> None:
    lesson = LessonFactory(title="Before")
    data = lesson_form(admin_client, lesson, ("Slides", "2"), ("Notes", "2"))
    data["title"] = "After"

    response = admin_client.post(change_url(lesson), data)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Position 2 is given to more than one file: “Slides”, “Notes”. Give each file its own position" in html
    assert html.count("Position 2 is also given to another file.") == 2
    assert not Asset.objects.exists()
    assert nothing_stored_for(lesson)
    lesson.refresh_from_db()
    assert lesson.title == "Before"


def test_a_new_file_at_an_existing_files_position_is_refused(admin_client: Any) -> None:
    lesson = LessonFactory()
    AssetFactory(lesson=lesson, order=1, title="Checklist")
    data = lesson_form(admin_client, lesson, ("Slides", "1"))

    response = admin_client.post(change_url(lesson), data)

    assert response.status_code == 200
    assert "Position 1 is given to more than one file: “Checklist”, “Slides”." in response.content.decode()
    assert positions(lesson) == [("Checklist", 1)]


def test_moving_an_existing_file_onto_anothers_position_is_refused(admin_client: Any) -> None:
    lesson = LessonFactory()
    first = AssetFactory(lesson=lesson, order=1, title="First")
    second = AssetFactory(lesson=lesson, order=2, title="Second")
    data = form_data(admin_client.get(change_url(lesson)))
    data[f"assets-{row_index(data, second)}-order"] = "1"
    data[f"assets-{row_index(data, first)}-title"] = "First, renamed"

    response = admin_client.post(change_url(lesson), data)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Position 1 is given to more than one file: “First, renamed”, “Second”." in html
    assert html.count("Position 1 is also given to another file.") == 1  # only on the row that moved
    assert positions(lesson) == [("First", 1), ("Second", 2)]


def test_two_files_swap_positions_in_one_save(admin_client: Any) -> None:
    lesson = LessonFactory()
    first = AssetFactory(lesson=lesson, order=1, title="First")
    second = AssetFactory(lesson=lesson, order=2, title="Second")
    data = form_data(admin_client.get(change_url(lesson)))
    data[f"assets-{row_index(data, first)}-order"] = "2"
    data[f"assets-{row_index(data, second)}-order"] = "1"

    response = admin_client.post(change_url(lesson), data)

    assert response.status_code == 302
    assert positions(lesson) == [("Second", 1), ("First", 2)]
    html = admin_client.get(change_url(lesson)).content.decode()
    assert html.index("Second") < html.index("First")


def test_a_deleted_files_position_can_be_taken_in_the_same_save(admin_client: Any) -> None:
    lesson = LessonFactory()
    old = AssetFactory(lesson=lesson, order=1, title="Old")
    data = lesson_form(admin_client, lesson, ("New", "1"))
    data[f"assets-{row_index(data, old)}-DELETE"] = "on"

    assert admin_client.post(change_url(lesson), data).status_code == 302
    assert positions(lesson) == [("New", 1)]


def test_files_already_sharing_a_position_do_not_block_other_edits(admin_client: Any) -> None:
    # Files created without a position (the model default 0), e.g. by a script: the admin leaves them be
    # until one of them is moved, and a new file still goes after them.
    lesson = LessonFactory(title="Before")
    AssetFactory(lesson=lesson, title="Script A")
    AssetFactory(lesson=lesson, title="Script B")
    data = lesson_form(admin_client, lesson, ("Added", ""))
    data["title"] = "After"

    assert admin_client.post(change_url(lesson), data).status_code == 302
    lesson.refresh_from_db()
    assert lesson.title == "After"
    assert positions(lesson) == [("Script A", 0), ("Script B", 0), ("Added", 1)]


def test_a_position_taken_by_a_file_not_on_the_form_is_refused(admin_client: Any) -> None:
    # Another admin added a file to the lesson after this page was loaded.
    lesson = LessonFactory()
    data = lesson_form(admin_client, lesson, ("Mine", "4"))
    AssetFactory(lesson=lesson, order=4, title="Theirs")

    response = admin_client.post(change_url(lesson), data)

    assert response.status_code == 200
    assert "Position 4 is given to more than one file: “Mine”, “Theirs”." in response.content.decode()
    assert positions(lesson) == [("Theirs", 4)]


def test_a_position_on_another_lesson_is_no_clash(admin_client: Any) -> None:
    lesson = LessonFactory()
    AssetFactory(order=1, title="Elsewhere")
    assert admin_client.post(change_url(lesson), lesson_form(admin_client, lesson, ("Here", "1"))).status_code == 302
    assert positions(lesson) == [("Here", 1)]


# --- the file's own admin page ------------------------------------------------------------------


def asset_post(lesson: Lesson, order: str, title: str = "Slides") -> dict[str, Any]:
    return {
        "lesson": lesson.pk,
        "order": order,
        "title": title,
        "file": SimpleUploadedFile("slides.pdf", b"%PDF-1.7", "application/pdf"),
    }


def test_file_page_puts_a_new_file_without_a_position_last(admin_client: Any) -> None:
    lesson = LessonFactory()
    AssetFactory(lesson=lesson, order=5, title="Existing")
    assert admin_client.post("/admin/courses/asset/add/", asset_post(lesson, "")).status_code == 302
    assert admin_client.post("/admin/courses/asset/add/", asset_post(lesson, "0", "Again")).status_code == 302
    assert positions(lesson) == [("Existing", 5), ("Slides", 6), ("Again", 7)]


def test_file_page_refuses_a_taken_position(admin_client: Any) -> None:
    lesson = LessonFactory(title="Week one")
    AssetFactory(lesson=lesson, order=2, title="Checklist")

    response = admin_client.post("/admin/courses/asset/add/", asset_post(lesson, "2"))

    assert response.status_code == 200
    assert "Position 2 on “Week one” is taken by the file “Checklist”." in response.content.decode()
    assert positions(lesson) == [("Checklist", 2)]


def test_file_page_refuses_moving_a_file_onto_a_taken_position_and_allows_other_edits(admin_client: Any) -> None:
    lesson = LessonFactory()
    AssetFactory(lesson=lesson, order=1, title="First")
    second = AssetFactory(lesson=lesson, order=2, title="Second")
    url = f"/admin/courses/asset/{second.pk}/change/"

    refused = admin_client.post(url, {"lesson": lesson.pk, "order": "1", "title": "Second"})
    assert refused.status_code == 200
    assert "Position 1 on" in refused.content.decode()

    renamed = admin_client.post(url, {"lesson": lesson.pk, "order": "2", "title": "Second, renamed"})
    assert renamed.status_code == 302
    assert positions(lesson) == [("First", 1), ("Second, renamed", 2)]
