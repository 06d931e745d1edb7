"""Lesson forms: the lesson's own page, the lesson list's editable columns and the module's lesson rows."""

from __future__ import annotations

from typing import Any

from django import forms

from courses.forms.body import TipTapJSONField
from courses.forms.positions import FinalOrderFormMixin, FinalOrderFormSetMixin, quoted
from courses.models import Lesson


class LessonAdminForm(FinalOrderFormMixin, forms.ModelForm):
    content = TipTapJSONField(
        label="Body (TipTap JSON)",
        help_text='A TipTap document: {"type": "doc", "content": [...]}. The preview below updates as you type.',
    )

    class Meta:
        model = Lesson
        fields = ("module", "title", "order", "published", "is_free", "content")

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        module, order = cleaned.get("module"), cleaned.get("order")
        if module is not None and order is not None:
            self.refuse_taken_position(
                Lesson.objects.filter(module=module, order=order),
                lambda taken: (
                    f"Position {order} in {quoted(module)} is taken by the lesson {quoted(taken)}. "
                    "Pick a free position, or use “Move up” / “Move down” on the lesson list to swap two lessons."
                ),
            )
        return cleaned


class LessonChangelistForm(FinalOrderFormMixin, forms.ModelForm):
    class Meta:
        model = Lesson
        fields = ("order", "published")


class LessonChangelistFormSet(FinalOrderFormSetMixin, forms.BaseModelFormSet):
    scope = "module"


class LessonInlineForm(FinalOrderFormMixin, forms.ModelForm):
    class Meta:
        model = Lesson
        fields = ("order", "title", "published", "is_free")


class LessonInlineFormSet(FinalOrderFormSetMixin, forms.BaseInlineFormSet):
    scope = "module"
