"""Lesson forms: the lesson's own page and the module's lesson rows."""

from __future__ import annotations

from typing import Any

from adminsortable2.admin import CustomInlineFormSetMixin
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.urls import reverse

from courses.forms.body import TipTapJSONField
from courses.forms.positions import FinalOrderFormMixin, FinalOrderFormSetMixin, quoted
from courses.models import Lesson
from courses.transcripts import LANGUAGE_CODE, VTTError, vtt_parse


class LessonAdminForm(FinalOrderFormMixin, forms.ModelForm):
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
            self.refuse_taken_position(
                Lesson.objects.filter(module=module, order=order),
                lambda taken: (
                    f"Position {order} in {quoted(module)} is taken by the lesson {quoted(taken)}. "
                    "Pick a free position, or drag the lessons into order on the lesson list filtered by the module."
                ),
            )
        return cleaned


class LessonInlineForm(FinalOrderFormMixin, forms.ModelForm):
    class Meta:
        model = Lesson
        fields = ("order", "title", "published", "is_free")


class LessonInlineFormSet(CustomInlineFormSetMixin, FinalOrderFormSetMixin, forms.BaseInlineFormSet):
    """The module page's lessons: sortable2 renumbers the rows as they are dragged (its hidden `order`
    inputs); the final positions are still checked for clashes before anything is saved."""

    scope = "module"
