"""Lesson file delivery: the one module that hands out asset files.

With S3 configured (`AWS_STORAGE_BUCKET_NAME`, django-storages' S3Storage) a download is a redirect to a
presigned GET URL that lives at most `PRESIGNED_URL_MAX_SECONDS`; the bucket itself stays private. Without
S3, the file is streamed from local storage by the (access-checked) view. Callers must have run
`courses.selectors.lesson_access` first: nothing here checks who is asking.
"""

from __future__ import annotations

import logging
import mimetypes
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.core.files.storage import Storage
from django.utils.http import content_disposition_header

from courses.models import Asset

logger = logging.getLogger(__name__)

PRESIGNED_URL_MAX_SECONDS = 300


class AssetFileMissing(Exception):
    """The asset row exists but its file is not in storage."""


@dataclass(frozen=True)
class AssetDownload:
    """Either `url` (redirect there) or `file` (stream it), never both."""

    file_name: str
    content_type: str
    url: str | None = None
    file: IO[bytes] | None = None


def _is_s3(storage: Storage) -> bool:
    try:
        from storages.backends.s3 import S3Storage  # noqa: PLC0415 — optional: may be missing (below)
    except ImportError:  # django-storages without boto3: S3 cannot be configured either
        return False
    return isinstance(storage, S3Storage)


def _content_type(asset: Asset) -> str:
    return asset.mime_type or mimetypes.guess_type(asset.file_name)[0] or "application/octet-stream"


def presigned_url_seconds() -> int:
    return min(int(getattr(settings, "AWS_QUERYSTRING_EXPIRE", PRESIGNED_URL_MAX_SECONDS)), PRESIGNED_URL_MAX_SECONDS)


def asset_download(asset: Asset) -> AssetDownload:
    """How to deliver `asset`: a short-lived presigned URL (S3) or an open file (local storage).

    Raises AssetFileMissing when the stored file is gone.
    """
    if not asset.file or not asset.file.name:
        raise AssetFileMissing(asset.pk)
    storage = asset.file.storage
    file_name = asset.file_name or asset.file.name.rsplit("/", 1)[-1]
    content_type = _content_type(asset)
    if _is_s3(storage):
        # The response headers travel inside the signed query, so the browser saves the file under
        # its display name instead of the storage key.
        url = storage.url(
            asset.file.name,
            parameters={
                "ResponseContentDisposition": content_disposition_header(as_attachment=True, filename=file_name),
                "ResponseContentType": content_type,
            },
            expire=presigned_url_seconds(),
        )
        return AssetDownload(file_name=file_name, content_type=content_type, url=url)
    try:
        handle = storage.open(asset.file.name, "rb")
    except FileNotFoundError as exc:
        logger.error("Asset %s: file %s is missing from storage", asset.pk, asset.file.name)
        raise AssetFileMissing(asset.pk) from exc
    return AssetDownload(file_name=file_name, content_type=content_type, file=handle)
