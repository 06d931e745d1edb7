"""Module forms: the module's own page."""

from __future__ import annotations

from typing import Any

from django import forms

from courses.forms.positions import FinalOrderFormMixin, quoted
from courses.models import Module


class ModuleAdminForm(FinalOrderFormMixin, forms.ModelForm):
    class Meta:
        model = Module
        fields = ("title", "description", "order", "published")

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        order = cleaned.get("order")
        if order is not None:
            self.refuse_taken_position(
                Module.objects.filter(order=order),
                lambda taken: (
                    f"Position {order} is taken by the module {quoted(taken)}. Pick a free position, "
                    "or drag the modules into order on the module list."
                ),
            )
        return cleaned
