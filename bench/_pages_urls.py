"""URLs of the benchmarked site: the real ones, plus `/bench/trivial/` (see bench/_pages_settings.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.urls import urlpatterns as site_urlpatterns


def trivial(request: HttpRequest) -> HttpResponse:
    # Touching the user loads the session and the user row when signed in: the per-request floor.
    return HttpResponse("signed in" if request.user.is_authenticated else "anonymous", content_type="text/plain")


class QueryCountMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        count = 0

        def counter(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counter):
            response = self.get_response(request)
        response["X-Bench-Queries"] = str(count)
        return response


urlpatterns = [path("bench/trivial/", trivial), *site_urlpatterns]
