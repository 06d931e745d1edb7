"""The lesson body field: a TipTap document edited as JSON, checked by the renderer's rules."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from config.json_body import JSONBodyError, json_body_parse
from courses.content import tiptap_document_errors

TIPTAP_MAX_BYTES = 2 * 1024 * 1024
TIPTAP_MAX_DEPTH = 64  # far deeper than any list-in-quote-in-list a lesson body holds


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

    def to_python(self, value: Any) -> Any:
        # Bounded first: 3000 nested brackets are a RecursionError in json.loads, a NUL a database error.
        if isinstance(value, str) and value.strip() and not self.disabled:
            try:
                json_body_parse(value, max_bytes=TIPTAP_MAX_BYTES, max_depth=TIPTAP_MAX_DEPTH)
            except JSONBodyError as exc:
                # Plain syntax errors get JSONField's own "Enter a valid JSON." below.
                if not str(exc).startswith("The body is not valid JSON"):
                    raise ValidationError(str(exc).replace("The body", "The lesson body"), code="invalid") from exc
        return super().to_python(value)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, forms.fields.InvalidJSONInput):
            return value
        return json.dumps(_type_first(value), ensure_ascii=False, indent=2, cls=self.encoder)

    def validate(self, value: Any) -> None:
        super().validate(value)
        errors = tiptap_document_errors(value)
        if errors:
            raise ValidationError(errors)
