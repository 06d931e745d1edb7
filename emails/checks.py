"""System checks: an ESP switched on through django-anymail without its credentials fails at start-up
(`manage.py check`, `migrate`, `runserver`), not at the first send."""

from __future__ import annotations

from typing import Any

from anymail.exceptions import AnymailConfigurationError
from django.conf import settings
from django.core import checks
from django.core.mail import get_connection


@checks.register(checks.Tags.compatibility)
def anymail_configured(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    if not settings.EMAIL_BACKEND.startswith("anymail."):
        return []

    messages: list[checks.CheckMessage] = []
    try:
        get_connection()  # anymail backends read and validate their credentials here
    except (AnymailConfigurationError, ImportError) as exc:
        messages.append(
            checks.Error(
                f"EMAIL_URL selects {settings.EMAIL_BACKEND} but it is not usable: {exc}",
                hint="Set the ESP's ANYMAIL_* variables (e.g. ANYMAIL_POSTMARK_SERVER_TOKEN).",
                id="emails.E001",
            )
        )
    if not settings.ANYMAIL.get("WEBHOOK_SECRET"):
        messages.append(
            checks.Warning(
                "ANYMAIL_WEBHOOK_SECRET is not set: the ESP's tracking webhook is not mounted, so hard bounces "
                "and spam complaints never reach the suppression list.",
                hint='Set ANYMAIL_WEBHOOK_SECRET="user:password" and give the ESP /anymail/<esp>/tracking/.',
                id="emails.W001",
            )
        )
    return messages
