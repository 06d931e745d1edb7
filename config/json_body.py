"""One parser for every JSON body the site accepts (webhooks, the progress endpoints, the beacon,
the admin's preview): bounded in size and nesting, and free of what PostgreSQL refuses to store.

`json.loads` alone turns 3000 `[` into a RecursionError (a 500) and lets a `\\u0000` through to a
JSONB column (another 500). Here both, and anything over the size limit, are a `JSONBodyError`,
which views answer with a 400 and its message.
"""

from __future__ import annotations

import json
import math
from typing import Any

MAX_BYTES = 256 * 1024
MAX_DEPTH = 32
# Python's int() refuses digit strings longer than this (sys.int_info); far above any real number here.
MAX_NUMBER_DIGITS = 30


class JSONBodyError(ValueError):
    """The body is not acceptable JSON; the message says why and is safe to show."""


def _reject_constant(name: str) -> Any:
    raise JSONBodyError(f"{name} is not a JSON number.")


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise JSONBodyError(f"A number in the body has more than {MAX_NUMBER_DIGITS} digits.")
    return int(text)


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JSONBodyError("A number in the body is out of range.")
    return value


def _check(value: Any, max_depth: int) -> None:
    """Walk without recursion: depth, and no NUL in any string (PostgreSQL text and JSONB refuse it)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > max_depth:
                raise JSONBodyError(f"The body is nested deeper than {max_depth} levels.")
            if isinstance(item, dict):
                for key, child in item.items():
                    if "\x00" in key:
                        raise JSONBodyError("The body contains a NUL character.")
                    stack.append((child, depth + 1))
            else:
                stack.extend((child, depth + 1) for child in item)
        elif isinstance(item, str) and "\x00" in item:
            raise JSONBodyError("The body contains a NUL character.")


def json_body_parse(
    body: bytes | str, *, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH, allow_nan: bool = False
) -> Any:
    """The parsed body. Raises JSONBodyError when it is too large, not UTF-8 JSON, nested deeper than
    `max_depth`, holds NaN/Infinity (unless `allow_nan`: the caller range-checks its numbers itself)
    or a number too long to be real, or contains a NUL character."""
    raw = body.encode() if isinstance(body, str) else body
    if len(raw) > max_bytes:
        raise JSONBodyError(f"The body is larger than {max_bytes} bytes.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise JSONBodyError("The body is not UTF-8.") from exc
    try:
        value = json.loads(
            text,
            parse_constant=float if allow_nan else _reject_constant,
            parse_int=_parse_int,
            parse_float=float if allow_nan else _parse_float,
        )
    except RecursionError as exc:
        raise JSONBodyError(f"The body is nested deeper than {max_depth} levels.") from exc
    except JSONBodyError:
        raise
    except json.JSONDecodeError as exc:
        raise JSONBodyError(f"The body is not valid JSON ({exc.msg}).") from exc
    except ValueError as exc:  # int() refusing a huge number, and the like
        raise JSONBodyError("The body is not valid JSON.") from exc
    _check(value, max_depth)
    return value


def json_object_parse(body: bytes | str, **limits: Any) -> dict[str, Any]:
    """`json_body_parse` for bodies that must be one JSON object."""
    value = json_body_parse(body, **limits)
    if not isinstance(value, dict):
        raise JSONBodyError("The body must be a JSON object.")
    return value
