"""The video upload form: what the admin's browser says about a file before Mux receives it."""

from __future__ import annotations

import os
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

VIDEO_EXTENSIONS = frozenset(
    {".mp4", ".m4v", ".mov", ".qt", ".webm", ".mkv", ".avi", ".mpeg", ".mpg", ".mxf", ".ts", ".mts", ".m2ts",
     ".wmv", ".flv", ".3gp", ".ogv"}
)  # fmt: skip
GENERIC_CONTENT_TYPES = frozenset({"", "application/octet-stream"})


class VideoUploadForm(forms.Form):
    """What the admin's browser says about the file before a Mux upload is opened for it.

    The file itself goes from the browser to Mux, never through this server, so its declared name and
    type are checked here (the page's file picker already only offers video files).
    """

    file_name = forms.CharField(max_length=500)
    content_type = forms.CharField(max_length=200, required=False)
    size = forms.IntegerField(min_value=1, required=False)

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        name = cleaned.get("file_name")
        if not name:
            return cleaned
        extension = os.path.splitext(name)[1].lower()
        content_type = (cleaned.get("content_type") or "").split(";")[0].strip().lower()
        is_video_type = content_type.startswith("video/")
        if extension not in VIDEO_EXTENSIONS or not (is_video_type or content_type in GENERIC_CONTENT_TYPES):
            kind = f" ({content_type})" if content_type else ""
            raise ValidationError(
                f"“{name}”{kind} is not a video file. Choose a video (MP4, MOV, WebM, MKV …); "
                "lesson files such as PDFs belong under “Files” below.",
                code="not_a_video",
            )
        return cleaned
