"""Signed unsubscribe tokens: the token is the authentication of the one-click unsubscribe POST
(RFC 8058 clients send no cookie), so it is signed with the project's secret and its own salt."""

from __future__ import annotations

from django.core import signing

SALT = "emails.unsubscribe"


def unsubscribe_token_for(user_id: str) -> str:
    """A URL-safe token naming the learner. It does not expire: an unsubscribe link in an old
    email must keep working (CAN-SPAM asks for at least 30 days; there is no reason to stop)."""
    return signing.Signer(salt=SALT).sign(user_id)


def unsubscribe_token_user_id(token: str) -> str | None:
    """The user id inside a valid token, or None for a bad or tampered one."""
    try:
        return signing.Signer(salt=SALT).unsign(token)
    except signing.BadSignature:
        return None
