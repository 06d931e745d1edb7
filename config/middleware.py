"""Middleware of the whole site: requests no view should ever see, and the signed-in user from the cache.


PostgreSQL refuses NUL (0x00) in text, so a NUL that reaches a query is a 500. Ids in our own URLs are
checked by the `<cuid:…>` converter; this catches the admin's at the door, before any query: a NUL in
an admin path (`<path:object_id>`) is a 404, one in an admin query string (search, filters) a 400.
Form fields refuse NUL themselves (Django's ProhibitNullCharactersValidator) with a form error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.contrib.auth import (  # type: ignore[attr-defined]  # private helper, as Django's get_user uses it
    BACKEND_SESSION_KEY,
    HASH_SESSION_KEY,
    _get_user_session_key,
    load_backend,
)
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import BadRequest
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.crypto import constant_time_compare
from django.utils.functional import SimpleLazyObject

from config.user_cache import user_cached_get

ADMIN_PREFIX = "/admin/"


class RejectNulMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Only the admin: its `<path:object_id>` routes, search box and filters hand raw values to queries.
        # Our own URLs take ids through `<cuid:…>` (and colleagues' through their own patterns), and their
        # views handle a NUL in a search themselves. Raised, not returned: the branded 404/400 pages answer.
        if request.path_info.startswith(ADMIN_PREFIX):
            if "\x00" in request.path_info:
                raise Http404("No such page.")
            if b"\x00" in unquote_to_bytes(request.META.get("QUERY_STRING", "")):
                raise BadRequest("The address contains a NUL character.")
        return self.get_response(request)


# --- The signed-in user ------------------------------------------------------------------------


def _backend_user(backend: Any, user_id: Any) -> Any:
    if isinstance(backend, ModelBackend) and type(backend).get_user is ModelBackend.get_user:
        user = user_cached_get(user_id)
        return user if user is not None and backend.user_can_authenticate(user) else None
    return backend.get_user(user_id)


def user_from_session(request: HttpRequest) -> Any:
    """`django.contrib.auth.get_user`, with the user read through the cache (`config.user_cache`).

    Mirrors Django's (which cannot be told where to read the user from): the session keys, the backend
    recorded at sign-in (still required to be configured), the session hash check with the fallback
    secrets. Backends that do not use `ModelBackend.get_user` as it is are asked as before."""
    user = None
    try:
        user_id = _get_user_session_key(request)
        backend_path = request.session[BACKEND_SESSION_KEY]
    except KeyError:
        pass
    else:
        if backend_path in settings.AUTHENTICATION_BACKENDS:
            user = _backend_user(load_backend(backend_path), user_id)
            if hasattr(user, "get_session_auth_hash"):
                session_hash = request.session.get(HASH_SESSION_KEY)
                verified = bool(session_hash) and constant_time_compare(str(session_hash), user.get_session_auth_hash())
                if not verified:
                    if session_hash and any(
                        constant_time_compare(session_hash, fallback)
                        for fallback in user.get_session_auth_fallback_hash()
                    ):
                        request.session.cycle_key()
                        request.session[HASH_SESSION_KEY] = user.get_session_auth_hash()
                    else:
                        request.session.flush()
                        user = None
    return user or AnonymousUser()


class CachedAuthenticationMiddleware(AuthenticationMiddleware):
    """Django's `AuthenticationMiddleware` (so `request.auser` and the admin's check stay as they were),
    with `request.user` read through the cache."""

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)

        def user() -> Any:
            if not hasattr(request, "_cached_user"):
                request._cached_user = user_from_session(request)  # type: ignore[attr-defined]
            return request._cached_user  # type: ignore[attr-defined]

        request.user = SimpleLazyObject(user)  # type: ignore[assignment]
