"""The editor's server side: body images (type and size checked, stored like lesson files, served only
after the lesson's access check) and older, invalid bodies opening without a crash."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from courses.content import lesson_body_html
from courses.models import LessonImage
from tests.courses.factories import LessonFactory

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def upload_url(lesson: Any) -> str:
    return f"/admin/courses/lesson/{lesson.pk}/image-upload/"


def test_image_upload_stores_the_image_and_answers_its_url(admin_client: Any, db: None) -> None:
    lesson = LessonFactory()
    response = admin_client.post(upload_url(lesson), {"image": SimpleUploadedFile("my-diagram.png", PNG, "image/png")})
    assert response.status_code == 200
    image = LessonImage.objects.get(lesson=lesson)
    assert (image.mime_type, image.file_name, image.file_size) == ("image/png", "my-diagram.png", len(PNG))
    assert response.json() == {"url": f"/lesson-images/{image.pk}/", "alt": "my diagram"}


@pytest.mark.parametrize(
    ("name", "body", "message"),
    [
        ("notes.png", b"%PDF-1.7 not an image", "is not a PNG, JPEG, GIF or WebP image"),
        ("evil.svg", b"<svg onload=alert(1)></svg>", "is not a PNG, JPEG, GIF or WebP image"),
        ("empty.png", b"", "empty"),
    ],
)
def test_image_upload_refuses_what_is_not_an_image(
    admin_client: Any, db: None, name: str, body: bytes, message: str
) -> None:
    lesson = LessonFactory()
    response = admin_client.post(upload_url(lesson), {"image": SimpleUploadedFile(name, body, "image/png")})
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert not LessonImage.objects.exists()


def test_image_upload_refuses_an_oversize_image(admin_client: Any, db: None, settings: Any) -> None:
    settings.LESSON_IMAGE_MAX_BYTES = 1024
    lesson = LessonFactory()
    big = PNG + b"\x00" * 2048
    response = admin_client.post(upload_url(lesson), {"image": SimpleUploadedFile("big.png", big, "image/png")})
    assert response.status_code == 400
    assert "at most 1 KB" in response.json()["error"]
    assert not LessonImage.objects.exists()


def test_image_upload_needs_a_file_and_staff(admin_client: Any, client: Any, user: Any, db: None) -> None:
    lesson = LessonFactory()
    assert admin_client.post(upload_url(lesson), {}).status_code == 400
    client.force_login(user)
    response = client.post(upload_url(lesson), {"image": SimpleUploadedFile("a.png", PNG, "image/png")})
    assert response.status_code == 302  # to the admin login
    assert not LessonImage.objects.exists()


def test_body_images_are_as_private_as_their_lesson(
    admin_client: Any, client: Any, user: Any, subscriber: Any, db: None
) -> None:
    lesson = LessonFactory(module__published=True)
    admin_client.post(upload_url(lesson), {"image": SimpleUploadedFile("d.png", PNG, "image/png")})
    url = f"/lesson-images/{LessonImage.objects.get().pk}/"
    assert client.get(url).status_code == 302  # signed out: sign in first
    client.force_login(user)
    assert client.get(url).status_code == 403  # no membership
    client.force_login(subscriber)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == PNG
    assert client.get("/lesson-images/nope/").status_code == 404


def test_the_renderer_keeps_uploaded_image_paths_and_drops_other_relative_ones() -> None:
    def body(src: str) -> dict[str, Any]:
        return {"type": "doc", "content": [{"type": "image", "attrs": {"src": src, "alt": "x"}}]}

    assert 'src="/lesson-images/abc/"' in lesson_body_html(body("/lesson-images/abc/"))
    assert "<img" not in lesson_body_html(body("/account/delete/"))
    assert "<img" not in lesson_body_html(body("//evil.example/x.png"))
    assert "<img" not in lesson_body_html(body("/lesson-images/../account/"))
    assert "<img" not in lesson_body_html(body("javascript:alert(1)"))


@pytest.mark.parametrize("content", [["not", "a", "doc"], "just a string", {"type": "paragraph"}, 42])
def test_an_older_invalid_body_opens_in_the_admin_without_a_crash(admin_client: Any, db: None, content: Any) -> None:
    lesson = LessonFactory(content=content)
    response = admin_client.get(f"/admin/courses/lesson/{lesson.pk}/change/")
    assert response.status_code == 200
    # The editor script is on the page; it shows such a body as an error over the raw JSON box.
    assert "build/editor/lesson-editor.js" in response.content.decode()
    assert 'class="vLargeTextField tiptap-json"' in response.content.decode()
