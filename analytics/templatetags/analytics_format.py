from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def percent(rate: float | None) -> str:
    """0.1234 → "12.3%"; None (nothing to divide by) → "—"."""
    return "—" if rate is None else f"{100 * rate:.1f}%"
