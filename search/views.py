"""GET /search/?q= — the course search page (and the header's search box)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from search.selectors import MAX_QUERY_LENGTH, printable, search_lessons


@require_GET
def search_page(request: HttpRequest) -> HttpResponse:
    raw = request.GET.get("q", "")
    results = search_lessons(user=request.user, raw_query=raw)
    context = {"results": results, "raw_query": printable(raw)[: MAX_QUERY_LENGTH * 2], "max_length": MAX_QUERY_LENGTH}
    return render(request, "search/results.html", context)
