"""Lesson files uploaded in the admin land in S3 (django-storages) — against moto's S3 server on localhost."""

from __future__ import annotations

import socket
import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from moto.server import ThreadedMotoServer

from courses.models import Asset
from tests.courses.factories import LessonFactory
from tests.courses.test_admin import change_url, form_data

BUCKET = "syllabus-lesson-files"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def s3(settings: Any) -> Iterator[Any]:
    """moto's S3 server on 127.0.0.1, an empty bucket, and the default storage pointed at it."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{server._port}"
    # moto keeps its backends in process memory across server instances: start each test from empty.
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=10).close()
    client = boto3.client("s3", endpoint_url=endpoint, **CREDENTIALS)
    client.create_bucket(Bucket=BUCKET)
    settings.AWS_STORAGE_BUCKET_NAME = BUCKET
    settings.AWS_S3_ENDPOINT_URL = endpoint
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": endpoint,
                "region_name": "us-east-1",
                "access_key": "testing",
                "secret_key": "testing",
                "querystring_auth": True,
                "querystring_expire": 300,
                "default_acl": None,
                "file_overwrite": False,
            },
        },
    }
    try:
        yield client
    finally:
        server.stop()


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
    stored = s3.head_object(Bucket=BUCKET, Key=asset.file.name)
    assert stored["ContentLength"] == len(content)
    assert stored["ContentType"] == "application/pdf"
    assert s3.get_object(Bucket=BUCKET, Key=asset.file.name)["Body"].read() == content


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
    assert s3.list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0
