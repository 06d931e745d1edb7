"""Lesson file forms: a lesson's file rows and a file's own admin page."""

from __future__ import annotations

import mimetypes
import os
from collections import defaultdict
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.admin.widgets import AdminFileWidget
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.urls import reverse

from courses.forms.positions import quoted
from courses.models import Asset, Lesson

# File positions are checked here, not by a database constraint: the seed gives Asset.order a default
# of 0, so every file created without a position (the demo loader, older rows, scripts) shares 0, and a
# deferred unique constraint would turn that into an IntegrityError at COMMIT, far from its cause. The
# position only sorts a lesson's downloads (ties fall back to the upload time), so a duplicate left by
# such a path loses nothing; the admin refuses to *make* one, and leaves existing ones it is not
# touching alone rather than blocking unrelated edits of the lesson.

ASSET_DEFAULT_ORDER = Asset._meta.get_field("order").get_default()


def _mime_type(upload: UploadedFile) -> str:
    """The browser's declared type unless it is the generic one; then a guess from the name."""
    declared = (upload.content_type or "").split(";")[0].strip().lower()
    if declared and declared != "application/octet-stream":
        return declared
    guessed, _ = mimetypes.guess_type(upload.name or "")
    return guessed or "application/octet-stream"


class _DownloadLink:
    """The "Currently:" value of an asset's file widget: its name, linked to the download view."""

    def __init__(self, name: str, url: str) -> None:
        self.name, self.url = name, url

    def __str__(self) -> str:
        return self.name


class AssetFileInput(AdminFileWidget):
    """Links the current file through the access-checked download view: /media/ is not served."""

    download_url = ""

    def format_value(self, value: Any) -> Any:
        value = super().format_value(value)
        if value and self.download_url:
            return _DownloadLink(str(value), self.download_url)
        return value


class AssetInlineForm(forms.ModelForm):
    """A lesson file. Name, size and MIME type are taken from the upload, never typed in."""

    title = forms.CharField(max_length=200, required=False, help_text="Defaults to the file's name.")

    class Meta:
        model = Asset
        fields: tuple[str, ...] = ("order", "title", "file")
        widgets = {"file": AssetFileInput}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        widget = self.fields["file"].widget
        if self.instance.pk and isinstance(widget, AssetFileInput):  # widgets are copied per form: safe to set
            widget.download_url = reverse("courses:asset_download", args=[self.instance.pk])
        if self.instance._state.adding:
            # A new file's position may be left out: it then goes last (see AssetInlineFormSet). The row
            # shows blank rather than the model's default 0, so an untouched extra row stays untouched.
            order = self.fields["order"]
            order.required = False
            order.help_text = "Leave blank to put the file last."
            order.widget.attrs["placeholder"] = "last"
            self.initial["order"] = None

    def wants_next_position(self) -> bool:
        """A new file whose position was left blank or at the default (0): it gets the next free one."""
        return self.instance._state.adding and self.cleaned_data.get("order") in (None, ASSET_DEFAULT_ORDER)

    def moves(self) -> bool:
        """Whether this save places the file somewhere it was not: a new file, or a changed position."""
        return self.instance._state.adding or "order" in self.changed_data

    def clean_file(self) -> Any:
        upload = self.cleaned_data.get("file")
        if isinstance(upload, UploadedFile):
            limit = settings.ASSET_MAX_UPLOAD_BYTES
            if upload.size is not None and upload.size > limit:
                raise ValidationError(
                    f"“{upload.name}” is {filesizeformat(upload.size)}; a lesson file may be at most "
                    f"{filesizeformat(limit)}.",
                    code="file_too_large",
                )
            if not upload.size:
                raise ValidationError(f"“{upload.name}” is empty.", code="empty")
        return upload

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        upload = cleaned.get("file")
        if isinstance(upload, UploadedFile):
            # Set on the instance here, before the model is validated: these columns are not form fields.
            name = os.path.basename(upload.name or "file")[:255]
            self.instance.file_name = name
            self.instance.file_size = upload.size
            self.instance.mime_type = _mime_type(upload)[:255]
            if not cleaned.get("title"):
                cleaned["title"] = os.path.splitext(name)[0][:200] or name
        elif not cleaned.get("title") and self.instance.file_name:
            cleaned["title"] = self.instance.title or self.instance.file_name
        if not cleaned.get("title") and "file" not in self.errors:
            self.add_error("title", "Give the file a title.")
        return cleaned


def _next_position(taken: Any) -> int:
    return max(taken, default=ASSET_DEFAULT_ORDER) + 1


class AssetInlineFormSet(forms.BaseInlineFormSet):
    """A lesson's files: no two at one position after the save; files left without one go last.

    The state the save would leave is checked (so two files can swap positions in one save), against
    the lesson's other files in the database too (one added meanwhile from the file admin page).
    """

    forms: list[AssetInlineForm]
    instance: Lesson

    def clean(self) -> None:
        super().clean()
        if any(form.errors for form in self.forms):
            return
        placed: dict[int, list[tuple[Asset, AssetInlineForm | None]]] = defaultdict(list)
        last: list[AssetInlineForm] = []
        in_formset: set[str] = set()
        for form in self.forms:
            if form.instance._state.adding:
                if not form.has_changed():
                    continue  # an untouched extra row
            else:
                in_formset.add(form.instance.pk)
            if self.can_delete and self._should_delete_form(form):  # type: ignore[attr-defined]
                continue
            if form.wants_next_position():
                last.append(form)
            else:
                placed[form.cleaned_data["order"]].append((form.instance, form))
        if not self.instance._state.adding:
            for other in Asset.objects.filter(lesson_id=self.instance.pk).exclude(pk__in=in_formset):
                placed[other.order].append((other, None))

        messages = []
        for order, rows in sorted(placed.items()):
            moved = [form for _, form in rows if form is not None and form.moves()]
            if len(rows) < 2 or not moved:
                continue
            names = ", ".join(quoted(asset) for asset, _ in rows)
            messages.append(
                f"Position {order} is given to more than one file: {names}. Give each file its own position, "
                "or leave a new file's position blank to put it last."
            )
            for form in moved:
                form.add_error("order", f"Position {order} is also given to another file.")
        if messages:
            raise ValidationError(messages)

        position = _next_position(placed)
        for form in last:  # in the order the rows were sent, after every kept and placed file
            form.instance.order = form.cleaned_data["order"] = position
            position += 1


class AssetAdminForm(AssetInlineForm):
    """One file on its own admin page: the same rules as on the lesson, one row at a time."""

    class Meta(AssetInlineForm.Meta):
        fields = ("lesson", "order", "title", "file")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        lesson, order = cleaned.get("lesson"), cleaned.get("order")
        if lesson is None or "order" in self.errors:
            return cleaned
        siblings = Asset.objects.filter(lesson=lesson).exclude(pk=self.instance.pk)
        if self.wants_next_position():
            self.instance.order = cleaned["order"] = _next_position(siblings.values_list("order", flat=True))
        elif order is not None and (self.moves() or "lesson" in self.changed_data):
            taken = siblings.filter(order=order).order_by("created_at").first()
            if taken is not None:
                self.add_error(
                    "order",
                    f"Position {order} on {quoted(lesson)} is taken by the file {quoted(taken)}. Pick a free "
                    "position, or leave it blank on a new file to put it last.",
                )
        return cleaned
