from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from courses.selectors import published_modules


def landing(request: HttpRequest) -> HttpResponse:
    modules = published_modules().prefetch_related("lessons")
    return render(request, "courses/landing.html", {"modules": modules})
