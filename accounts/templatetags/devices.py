from __future__ import annotations

from django import template

from accounts.selectors import device_name as _device_name

register = template.Library()


@register.filter
def device_name(user_agent: str) -> str:
    """`{{ session.user_agent|device_name }}`: "Chrome on Windows" rather than the raw User-Agent."""
    return _device_name(str(user_agent or ""))
