from __future__ import annotations

import socket
from datetime import datetime
from typing import Any

import pytest
from django.utils import timezone

from emails.models import EmailQueue
from emails.services import email_queue


def queue(
    user: Any,
    template: str,
    *,
    at: datetime | None = None,
    data: dict[str, Any] | None = None,
    key: str | None = None,
) -> EmailQueue:
    item = email_queue(
        user=user,
        template=template,
        scheduled_for=at or timezone.now(),
        data=data,
        idempotency_key=key or f"test:{template}:{user.pk}:{EmailQueue.objects.count()}",
    )
    assert item is not None
    return item


@pytest.fixture
def refused_smtp(settings: Any) -> dict[str, Any]:
    """A real SMTP backend pointed at a local port where nothing listens: every send fails the way
    an SMTP outage does (connection refused). Switch `settings.EMAIL_BACKEND` back to recover."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 2
    return {"port": port}
