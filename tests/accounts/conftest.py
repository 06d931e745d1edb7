from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail

from tests.accounts.factories import DEFAULT_PASSWORD

STRONG_PASSWORD = "a-long-and-unusual-passphrase-42"
GOOGLE_PROVIDERS = {
    "google": {
        "APPS": [{"client_id": "google-client-id.apps.googleusercontent.com", "secret": "google-secret", "key": ""}],
        "SCOPE": ["profile", "email"],
        "AUTH_PARAMS": {"access_type": "online"},
        "EMAIL_AUTHENTICATION": True,
    }
}


def signup(client: Any, email: str, password: str = STRONG_PASSWORD, **extra: str) -> Any:
    return client.post("/accounts/signup/", {"email": email, "password1": password, "password2": password, **extra})


def login(client: Any, email: str, password: str = DEFAULT_PASSWORD, **extra: str) -> Any:
    return client.post("/accounts/login/", {"login": email, "password": password, **extra})


def link_in_last_email(to: str) -> str:
    message = next(m for m in reversed(mail.outbox) if to in m.to)
    match = re.search(r"https?://testserver(/\S+)", message.body)
    assert match, message.body
    return match.group(1)


@pytest.fixture
def google_enabled(settings: Any) -> None:
    settings.SOCIALACCOUNT_PROVIDERS = GOOGLE_PROVIDERS
