"""Lesson files uploaded in the admin land in S3 (django-storages) — against moto's S3 server on localhost."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from courses.models import Asset
from tests.courses.factories import LessonFactory
from tests.courses.test_admin import change_url, form_data


def test_an_asset_uploaded_in_the_admin_is_stored_in_s3(client: Any, admin_user: Any, s3: Any) -> None:
    client.force_login(admin_user)
    lesson = LessonFactory()
    content = b"%PDF-1.7\n" + bytes(range(256)) * 40  # 10,249 bytes, binary-safe
    data = form_data(client.get(change_url(lesson)))
    data["assets-0-title"] = "Workbook"
    data["assets-0-order"] = "1"
    data["assets-0-file"] = SimpleUploadedFile("workbook.pdf", content, "application/pdf")

    response = client.post(change_url(lesson), data)

    assert response.status_code == 302
    asset = Asset.objects.get(lesson=lesson)
    assert (asset.file_name, asset.file_size, asset.mime_type) == ("workbook.pdf", len(content), "application/pdf")
    assert asset.file.name.startswith(f"assets/{lesson.pk}/") and asset.file.name.endswith("/workbook.pdf")
    stored = s3.client.head_object(Bucket=s3.bucket, Key=asset.file.name)
    assert stored["ContentLength"] == len(content)
    assert stored["ContentType"] == "application/pdf"
    assert s3.client.get_object(Bucket=s3.bucket, Key=asset.file.name)["Body"].read() == content


def test_an_oversized_asset_never_reaches_s3(client: Any, admin_user: Any, s3: Any, settings: Any) -> None:
    settings.ASSET_MAX_UPLOAD_BYTES = 100
    client.force_login(admin_user)
    lesson = LessonFactory()
    data = form_data(client.get(change_url(lesson)))
    data["assets-0-title"] = "Too big"
    data["assets-0-file"] = SimpleUploadedFile("big.zip", b"x" * 101, "application/zip")

    response = client.post(change_url(lesson), data)

    assert response.status_code == 200
    assert "a lesson file may be at most 100\xa0bytes" in response.content.decode()
    assert not Asset.objects.exists()
    assert s3.client.list_objects_v2(Bucket=s3.bucket).get("KeyCount") == 0
