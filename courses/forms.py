"""Admin forms for course content: lesson bodies, positions, lesson files, video uploads."""

from __future__ import annotations

import json
import mimetypes
import os
from collections import defaultdict
from typing import Any

from adminsortable2.admin import CustomInlineFormSetMixin
from django import forms
from django.conf import settings
from django.contrib.admin.widgets import AdminFileWidget
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Model
from django.forms import ModelForm
from django.template.defaultfilters import filesizeformat
from django.urls import reverse

from courses.models import Asset, Lesson, Module

# --- Lesson bodies: TipTap JSON ---------------------------------------------------------------

MAX_DOCUMENT_DEPTH = 40
MAX_DOCUMENT_BYTES = 512 * 1024
HEADING_LEVELS = range(1, 7)


def _known_types() -> tuple[frozenset[str], frozenset[str]]:
    """The node and mark types the lesson-page renderer knows: one list, kept in courses.content."""
    from courses import content  # the renderer module; imported late so the admin never owns its rules

    nodes = frozenset(content.NODE_TYPES) | frozenset(content.NODE_ALIASES)
    marks = frozenset(content.MARK_TYPES) | frozenset(content.MARK_ALIASES)
    return nodes, marks


def tiptap_document_errors(value: Any) -> list[str]:
    """Why `value` is not a TipTap document the lesson page can render (empty list: it is one).

    A document is {"type": "doc", "content": [...]}; every node has a known "type", a list "content" if
    any, "text" nodes carry a string, marks are known, headings have a level 1-6. Errors name the path
    of the offending node (e.g. `content[2].content[0]`) so an admin can find it.
    """
    if value is None:
        return []
    if not isinstance(value, dict) or value.get("type") != "doc":
        return ['The body must be a TipTap document: {"type": "doc", "content": [...]}.']
    if len(json.dumps(value)) > MAX_DOCUMENT_BYTES:
        return [f"The body is larger than {filesizeformat(MAX_DOCUMENT_BYTES)}."]
    node_types, mark_types = _known_types()
    errors: list[str] = []

    def visit(node: Any, path: str, depth: int) -> None:
        if len(errors) >= 10:
            return
        if depth > MAX_DOCUMENT_DEPTH:
            errors.append(f"{path}: nested deeper than {MAX_DOCUMENT_DEPTH} levels.")
            return
        if not isinstance(node, dict):
            errors.append(f"{path}: a node must be an object, not {type(node).__name__}.")
            return
        node_type = node.get("type")
        if node_type not in node_types:
            errors.append(f"{path}: unknown node type {node_type!r}.")
            return
        if path != "doc" and node_type == "doc":
            errors.append(f"{path}: a document cannot contain another document.")
        if node_type == "text" and not isinstance(node.get("text"), str):
            errors.append(f'{path}: a text node needs a "text" string.')
        if node_type == "heading":
            level = (node.get("attrs") or {}).get("level") if isinstance(node.get("attrs"), dict) else None
            if level not in HEADING_LEVELS:
                errors.append(f"{path}: a heading needs attrs.level between 1 and 6.")
        marks = node.get("marks", [])
        if not isinstance(marks, list):
            errors.append(f'{path}: "marks" must be a list.')
        else:
            for index, mark in enumerate(marks):
                mark_type = mark.get("type") if isinstance(mark, dict) else None
                if mark_type not in mark_types:
                    errors.append(f"{path}.marks[{index}]: unknown mark type {mark_type!r}.")
        children = node.get("content", [])
        if not isinstance(children, list):
            errors.append(f'{path}: "content" must be a list.')
            return
        for index, child in enumerate(children):
            visit(child, f"{path}.content[{index}]" if path != "doc" else f"content[{index}]", depth + 1)

    visit(value, "doc", 0)
    return errors


def _type_first(node: Any) -> Any:
    """PostgreSQL's jsonb sorts keys by length; put "type" first again so the JSON reads like TipTap's."""
    if isinstance(node, dict):
        ordered = {"type": node["type"]} if "type" in node else {}
        ordered.update((key, _type_first(value)) for key, value in node.items() if key != "type")
        return ordered
    if isinstance(node, list):
        return [_type_first(item) for item in node]
    return node


class TipTapJSONField(forms.JSONField):
    """A TipTap document as indented JSON in a textarea, validated against the renderer's node types."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget", forms.Textarea(attrs={"rows": 24, "class": "vLargeTextField tiptap-json", "spellcheck": "false"})
        )
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, forms.fields.InvalidJSONInput):
            return value
        return json.dumps(_type_first(value), ensure_ascii=False, indent=2, cls=self.encoder)

    def validate(self, value: Any) -> None:
        super().validate(value)
        errors = tiptap_document_errors(value)
        if errors:
            raise ValidationError(errors)


# --- Positions --------------------------------------------------------------------------------
# The unique constraints on Module.order and (Lesson.module, Lesson.order) are DEFERRED so two rows can
# swap positions in one save. Django would check each row against the database as it stands and refuse
# the swap, so row-by-row checks of `order` are switched off and the state the save would leave is
# checked instead: by the form set for several rows, by the form for one.


class _FinalOrderFormMixin:
    """Leave `order` out of Django's row-by-row unique checks (see above)."""

    def _get_validation_exclusions(self) -> set[str]:
        exclude: set[str] = super()._get_validation_exclusions()  # type: ignore[misc]
        exclude.add("order")
        return exclude


def _label(obj: Model) -> str:
    return f"“{obj}”"


class _FinalOrderFormSetMixin:
    """Refuse a save that would leave two rows at one position (within a module, for lessons)."""

    scope: str | None = None  # the field positions are unique within, if any

    forms: list[ModelForm]
    model: type[Model]

    def _scope_of(self, obj: Model) -> Any:
        return getattr(obj, f"{self.scope}_id") if self.scope else None

    def clean(self) -> None:
        super().clean()  # type: ignore[misc]
        if any(form.errors for form in self.forms):
            return
        placed: dict[tuple[Any, int], list[tuple[Model, ModelForm | None]]] = defaultdict(list)
        in_formset: set[Any] = set()
        scopes: set[Any] = set()
        for form in self.forms:
            in_formset.add(form.instance.pk)
            if not form.has_changed() and form.instance._state.adding:
                continue  # an untouched extra row
            if self._is_deleted(form):
                continue
            order = form.cleaned_data.get("order", form.instance.order)
            if order is None:
                continue
            scope = self._scope_of(form.instance)
            scopes.add(scope)
            placed[(scope, order)].append((form.instance, form))
        others = self.model._default_manager.exclude(pk__in=[pk for pk in in_formset if pk is not None])
        if self.scope:
            others = others.filter(**{f"{self.scope}_id__in": scopes})
        for other in others:
            placed[(self._scope_of(other), other.order)].append((other, None))  # type: ignore[attr-defined]
        messages = []
        for (_, order), rows in sorted(placed.items(), key=lambda item: (str(item[0][0]), item[0][1])):
            if len(rows) < 2:
                continue
            names = ", ".join(_label(obj) for obj, _ in rows)
            where = f" in {_label(rows[0][0].module)}" if self.scope == "module" else ""  # type: ignore[attr-defined]
            message = f"Position {order}{where} is given to more than one row: {names}. Give each its own position."
            messages.append(message)
            for _, row_form in rows:
                if row_form is not None:
                    row_form.add_error("order", f"Position {order} is also given to another row.")
        if messages:
            raise ValidationError(messages)

    def _is_deleted(self, form: ModelForm) -> bool:
        return bool(getattr(self, "can_delete", False) and self._should_delete_form(form))  # type: ignore[attr-defined]


class ModuleAdminForm(_FinalOrderFormMixin, forms.ModelForm):
    class Meta:
        model = Module
        fields = ("title", "description", "order", "published")

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        order = cleaned.get("order")
        if order is not None:
            taken = Module.objects.filter(order=order).exclude(pk=self.instance.pk).first()
            if taken is not None:
                self.add_error(
                    "order",
                    f"Position {order} is taken by the module {_label(taken)}. Pick a free position, "
                    "or use “Move up” / “Move down” on the module list to swap two modules.",
                )
        return cleaned


class LessonAdminForm(_FinalOrderFormMixin, forms.ModelForm):
    content = TipTapJSONField(
        label="Body",
        help_text="Saved as a TipTap document; the preview below shows exactly what learners will see.",
    )
    captions_file = forms.FileField(
        label="Upload captions (.vtt)",
        required=False,
        help_text="A WebVTT file for corrections or another language. It replaces the transcript in its language; "
        "Mux's generated captions never overwrite an uploaded one.",
        widget=forms.ClearableFileInput(attrs={"accept": ".vtt,text/vtt"}),
    )
    captions_language = forms.CharField(
        label="Captions language", max_length=35, initial="en", required=False, help_text="BCP 47 code: en, es, pt-BR…"
    )
    captions_label = forms.CharField(
        label="Captions label", max_length=100, required=False, help_text="Shown in the player; e.g. English."
    )

    def clean_captions_file(self) -> Any:
        from courses.transcripts import VTTError, vtt_parse

        upload = self.cleaned_data.get("captions_file")
        self.parsed_cues = None
        if not isinstance(upload, UploadedFile):
            return upload
        if not (upload.name or "").lower().endswith(".vtt"):
            raise ValidationError(f"“{upload.name}” is not a .vtt file.")
        if upload.size is not None and upload.size > settings.TRANSCRIPT_MAX_UPLOAD_BYTES:
            raise ValidationError(
                f"“{upload.name}” is {filesizeformat(upload.size)}; captions may be at most "
                f"{filesizeformat(settings.TRANSCRIPT_MAX_UPLOAD_BYTES)}."
            )
        try:
            self.parsed_cues = vtt_parse(upload.read())
        except VTTError as exc:
            raise ValidationError(f"“{upload.name}”: {exc} Nothing was replaced.") from exc
        return upload

    def clean_captions_language(self) -> str:
        from courses.transcripts import LANGUAGE_CODE

        language = (self.cleaned_data.get("captions_language") or "en").strip()
        if not LANGUAGE_CODE.match(language):
            raise ValidationError("Give a language code such as en, es or pt-BR.")
        return language

    class Meta:
        model = Lesson
        fields = ("module", "title", "order", "published", "is_free", "content")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.instance._state.adding:
            # Fields are copied per form, so this never leaks into another lesson's form.
            self.fields["content"].widget.attrs["data-image-upload-url"] = reverse(
                "admin:courses_lesson_image_upload", args=[self.instance.pk]
            )

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        module, order = cleaned.get("module"), cleaned.get("order")
        if module is not None and order is not None:
            taken = Lesson.objects.filter(module=module, order=order).exclude(pk=self.instance.pk).first()
            if taken is not None:
                self.add_error(
                    "order",
                    f"Position {order} in {_label(module)} is taken by the lesson {_label(taken)}. Pick a free "
                    "position, or use “Move up” / “Move down” on the lesson list to swap two lessons.",
                )
        return cleaned


class LessonChangelistForm(_FinalOrderFormMixin, forms.ModelForm):
    class Meta:
        model = Lesson
        fields = ("order", "published")


class LessonChangelistFormSet(_FinalOrderFormSetMixin, forms.BaseModelFormSet):
    scope = "module"


class LessonInlineForm(_FinalOrderFormMixin, forms.ModelForm):
    class Meta:
        model = Lesson
        fields = ("order", "title", "published", "is_free")


class LessonInlineFormSet(CustomInlineFormSetMixin, _FinalOrderFormSetMixin, forms.BaseInlineFormSet):
    """The module page's lessons: sortable2 renumbers the rows as they are dragged (its hidden `order`
    inputs); the final positions are still checked for clashes before anything is saved."""

    scope = "module"


# --- Lesson files -----------------------------------------------------------------------------
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


class AssetInlineFormSet(CustomInlineFormSetMixin, forms.BaseInlineFormSet):
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
            names = ", ".join(_label(asset) for asset, _ in rows)
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
                    f"Position {order} on {_label(lesson)} is taken by the file {_label(taken)}. Pick a free "
                    "position, or leave it blank on a new file to put it last.",
                )
        return cleaned


# --- Video uploads ----------------------------------------------------------------------------

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
