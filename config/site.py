"""The site's name and its absolute URLs: the one home for both.

Links that leave the site (emails, allauth's messages, Stripe's return URLs) are absolute and follow
`settings.SITE_URL`, never the request's Host header or the migrate-time `Site` row.
"""

from urllib.parse import urlsplit

from django.conf import settings

SITE_NAME = "Syllabus"


def absolute(path: str) -> str:
    """`path` (starting with "/") as an absolute URL under SITE_URL."""
    return f"{settings.SITE_URL}{path}"


def site_domain() -> str:
    """SITE_URL's host name, e.g. for Message-ID headers."""
    return urlsplit(settings.SITE_URL).hostname or "syllabus.local"


def site_netloc() -> str:
    """SITE_URL's host and port, as a `Site.domain` would hold them."""
    return urlsplit(settings.SITE_URL).netloc
