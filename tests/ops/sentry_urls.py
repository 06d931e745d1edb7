"""URLs for the Sentry test's subprocess only: the site's own, plus a view that fails."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def broken(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("sentry-test: a view failed")


urlpatterns = [path("sentry-test/broken/", broken), path("", include("config.urls"))]
