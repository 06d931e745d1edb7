"""Opaque, collision-resistant primary keys (the seed's ``cuid()``).

The same shape as cuid2's `create_id(length=25)` and made the same way — a random first letter, then a
SHA3-512 hash of the time, a per-process counter, a host fingerprint and a random salt, in base 36 — with
its randomness read from `os.urandom` once per id. The library reads it 26 times per id (one
`SystemRandom` call per character) and base-36-encodes all 512 bits of the hash to keep 24 characters:
≈ 31 µs an id, where this takes ≈ 5 (the drain writes an `EmailLog` per email). Unguessable as before:
the salt is 256 bits from the operating system's CSPRNG, nothing is seeded or reused.
"""

from __future__ import annotations

import itertools
import os
import socket
import string
import time
from hashlib import sha3_512

ID_LENGTH = 25
_LETTERS = string.ascii_lowercase
_BASE36 = string.digits + string.ascii_lowercase
_HASH_DIGITS = ID_LENGTH - 1
# 256 bits of the hash reduced to 24 base-36 digits (36**24 ≈ 2**124): uniform to within 2**-132.
_HASH_SPAN = 36**_HASH_DIGITS
_SALT_BYTES = 32


def _fingerprint() -> bytes:
    """What tells this process from others (cuid2's fingerprint: host, process and random bits)."""
    return f"{socket.gethostname()}:{os.getpid()}:{os.urandom(16).hex()}".encode()


class _State:
    def __init__(self) -> None:
        self.fingerprint = _fingerprint()
        # Like cuid2's counter: starts at a random point, one step per id (next() is atomic under the GIL).
        self.counter = itertools.count(int.from_bytes(os.urandom(4)))


_state = _State()


def _after_fork() -> None:
    # A forked process (Celery's pool, gunicorn's workers) gets a fingerprint and counter of its own.
    global _state
    _state = _State()


os.register_at_fork(after_in_child=_after_fork)


def new_id() -> str:
    """A new cuid2-shaped string (a lowercase letter, then 24 lowercase letters and digits): URL-safe,
    unguessable, never sequential."""
    state = _state
    random = os.urandom(_SALT_BYTES + 8)
    salt, letter = random[:_SALT_BYTES], int.from_bytes(random[_SALT_BYTES:])
    digest = sha3_512(b"%d:%d:%s:%s" % (time.time_ns(), next(state.counter), salt, state.fingerprint)).digest()
    number = int.from_bytes(digest[:32]) % _HASH_SPAN
    chars = []
    for _ in range(_HASH_DIGITS):
        number, digit = divmod(number, 36)
        chars.append(_BASE36[digit])
    return _LETTERS[letter % 26] + "".join(chars)
