"""Site-wide endpoints that belong to no app."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.views.decorators.http import require_GET


@require_GET
def favicon(request: HttpRequest) -> HttpResponsePermanentRedirect:
    """Browsers and crawlers ask for /favicon.ico whatever the page links: send them to the site's icon."""
    return HttpResponsePermanentRedirect(static("favicon.svg"))
