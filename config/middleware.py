"""Requests no view should ever see.

PostgreSQL refuses NUL (0x00) in text, so a NUL that reaches a query is a 500. Ids in our own URLs are
checked by the `<cuid:…>` converter; this catches the admin's at the door, before any query: a NUL in
an admin path (`<path:object_id>`) is a 404, one in an admin query string (search, filters) a 400.
Form fields refuse NUL themselves (Django's ProhibitNullCharactersValidator) with a form error.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import unquote_to_bytes

from django.core.exceptions import BadRequest
from django.http import Http404, HttpRequest, HttpResponse

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
