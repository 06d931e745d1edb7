"""Requests no view should ever see.

PostgreSQL refuses NUL (0x00) in text, so a NUL that reaches a query is a 500. Ids in our own URLs are
checked by the `<cuid:…>` converter; this catches the rest at the door, before any query: a NUL in
the path (Django admin's `<path:object_id>`, allauth's keys) is a 404, one in the query string a 400.
Form fields refuse NUL themselves (Django's ProhibitNullCharactersValidator) with a form error.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import unquote_to_bytes

from django.core.exceptions import BadRequest
from django.http import Http404, HttpRequest, HttpResponse


class RejectNulMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Raised, not returned: Django answers with the branded 404/400 pages (templates/404.html, 400.html).
        if "\x00" in request.path_info:
            raise Http404("No such page.")
        if b"\x00" in unquote_to_bytes(request.META.get("QUERY_STRING", "")):
            raise BadRequest("The address contains a NUL character.")
        return self.get_response(request)
