"""Every visitor gets an analytics session id, kept in the Django session.

The id is created lazily — the first time something is tracked for the request — so a crawler that
never triggers an event never costs a session row. Once created it is stable for the life of the
Django session: login keeps session data (Django only rotates the key), logout starts a new one.
Signing up links the anonymous id's earlier events to the new user (`analytics.receivers`).
"""

from __future__ import annotations

from django.http import HttpRequest

from config.ids import new_id

SESSION_KEY = "analytics_session_id"


def analytics_session_id(request: HttpRequest) -> str:
    """This browser's analytics session id, created in the Django session on first use.
    Needs SessionMiddleware before it (raises AttributeError without a session)."""
    session = request.session
    session_id = session.get(SESSION_KEY)
    if not isinstance(session_id, str) or not session_id:
        session_id = new_id()
        session[SESSION_KEY] = session_id
    return session_id


def existing_analytics_session_id(request: HttpRequest) -> str | None:
    """The id if this browser already has one; never creates it."""
    session = getattr(request, "session", None)
    session_id = session.get(SESSION_KEY) if session is not None else None
    return session_id if isinstance(session_id, str) and session_id else None
