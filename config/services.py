"""Write helpers every app's services share."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models

M = TypeVar("M", bound=models.Model)


def model_update(*, instance: M, data: dict[str, Any]) -> tuple[M, bool]:
    """Set `data` on `instance` and save only the fields whose value changed (HackSoft styleguide).

    `updated_at` is saved with them where the model has it (its `auto_now` stamps the time); nothing is
    written when no value changed. Returns (instance, whether anything was saved). Validation is the
    caller's: services check their input before writing.
    """
    field_names = {field.name for field in instance._meta.concrete_fields}
    changed = []
    for name, value in data.items():
        if name not in field_names:
            raise ValueError(f"{type(instance).__name__} has no field {name!r}.")
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed.append(name)
    if not changed:
        return instance, False
    if "updated_at" in field_names and "updated_at" not in changed:
        changed.append("updated_at")
    instance.save(update_fields=changed)
    return instance, True
