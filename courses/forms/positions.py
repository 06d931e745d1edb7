"""Positions of modules and lessons: the state a save would leave is checked, not each row alone."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.forms import ModelForm

# The unique constraints on Module.order and (Lesson.module, Lesson.order) are DEFERRED so two rows can
# swap positions in one save. Django would check each row against the database as it stands and refuse
# the swap, so row-by-row checks of `order` are switched off and the state the save would leave is
# checked instead: by the form set for several rows, by the form for one.


class FinalOrderFormMixin:
    """Leave `order` out of Django's row-by-row unique checks (see above)."""

    instance: Model

    def _get_validation_exclusions(self) -> set[str]:
        exclude: set[str] = super()._get_validation_exclusions()  # type: ignore[misc]
        exclude.add("order")
        return exclude

    def refuse_taken_position(self, rows_at_position: QuerySet[Any], message: Callable[[Model], str]) -> None:
        """One row on its own form: an `order` error naming the other row already at that position."""
        taken = rows_at_position.exclude(pk=self.instance.pk).first()
        if taken is not None:
            self.add_error("order", message(taken))  # type: ignore[attr-defined]


def quoted(obj: Model) -> str:
    return f"“{obj}”"


class FinalOrderFormSetMixin:
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
            names = ", ".join(quoted(obj) for obj, _ in rows)
            where = f" in {quoted(rows[0][0].module)}" if self.scope == "module" else ""  # type: ignore[attr-defined]
            message = f"Position {order}{where} is given to more than one row: {names}. Give each its own position."
            messages.append(message)
            for _, row_form in rows:
                if row_form is not None:
                    row_form.add_error("order", f"Position {order} is also given to another row.")
        if messages:
            raise ValidationError(messages)

    def _is_deleted(self, form: ModelForm) -> bool:
        return bool(getattr(self, "can_delete", False) and self._should_delete_form(form))  # type: ignore[attr-defined]
