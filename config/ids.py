"""Opaque, collision-resistant primary keys (the seed's ``cuid()``)."""

from cuid2 import create_id

ID_LENGTH = 25


def new_id() -> str:
    """A new cuid2 string: URL-safe, unguessable, never sequential."""
    return create_id(length=ID_LENGTH)
