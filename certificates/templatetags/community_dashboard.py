"""The dashboard's community cards: your notes, your open questions, your certificate (three queries)."""

from __future__ import annotations

from typing import Any

from django import template

from certificates.selectors import certificate_for
from notes.selectors import recent_notes
from qa.selectors import open_questions_for

register = template.Library()


@register.simple_tag(takes_context=True)
def community_dashboard(context: dict[str, Any]) -> dict[str, Any]:
    user = context["request"].user
    notes, notes_total = recent_notes(user=user)
    return {
        "notes": notes,
        "notes_total": notes_total,
        "open_questions": open_questions_for(user=user),
        "certificate": certificate_for(user=user),
    }
