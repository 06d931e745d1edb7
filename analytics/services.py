"""The one way events are recorded (DESIGN.md §9)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.db import DatabaseError, transaction

from analytics.models import Event, EventName

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)


class UnknownEventName(ValueError):
    pass


def event_track(
    *,
    name: str,
    user: User | Any | None = None,
    session_id: str | None = None,
    properties: dict[str, Any] | None = None,
) -> Event | None:
    """Record `name` for a user or an anonymous session id, with properties.

    An unknown name is a programming error and raises. A database failure is logged and
    swallowed (a savepoint keeps the caller's transaction usable): tracking never breaks a request.
    """
    if name not in EventName.values:
        raise UnknownEventName(f"Unknown event name {name!r}.")
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    try:
        with transaction.atomic():
            return Event.objects.create(event=name, user=user, session_id=session_id, properties=properties)
    except DatabaseError:
        logger.exception("event_track failed for %s", name)
        return None
