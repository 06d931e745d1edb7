"""Checks for text a learner types (Q&A posts, notes) before anything is stored."""

from __future__ import annotations


class TextInvalid(ValueError):
    """The text cannot be stored; the message says why, in words shown to the learner."""


def text_clean(value: object, *, max_length: int, what: str = "Your text") -> str:
    """`value` stripped, or TextInvalid: empty, too long, or holding a NUL byte (PostgreSQL refuses it,
    and no keyboard types one)."""
    if not isinstance(value, str):
        raise TextInvalid(f"{what} must be text.")
    if "\x00" in value:
        raise TextInvalid(f"{what} contains a NUL character; remove it and try again.")
    text = value.replace("\r\n", "\n").strip()
    if not text:
        raise TextInvalid(f"{what} is empty.")
    if len(text) > max_length:
        raise TextInvalid(f"{what} is {len(text)} characters long; the limit is {max_length}.")
    return text
