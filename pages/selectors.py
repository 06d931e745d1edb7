"""Reads of the site content. The landing page asks on every visit, so the answer is cached (the admin's
save clears it): a warm landing page spends no query on it."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.core.cache import cache

from pages.defaults import DEMO_CONTENT, DEMO_FAQ, DEMO_TESTIMONIALS
from pages.models import FaqItem, SiteContent, Testimonial

logger = logging.getLogger(__name__)

CACHE_KEY = "pages:site-content:v1"
# Replaced with every change to the site content: pages kept rendered with it (the landing page,
# config/page_cache.py) carry it in their stamp.
VERSION_KEY = "pages:site-content-version"
CACHE_SECONDS = 15 * 60


@dataclass(frozen=True)
class LandingContent:
    content: SiteContent
    testimonials: list[Testimonial] = field(default_factory=list)
    faq_items: list[FaqItem] = field(default_factory=list)


def _defaults() -> LandingContent:
    """Unsaved rows with the demo words (pages/defaults.py), for a site whose admin has not written any yet."""
    content = SiteContent(**DEMO_CONTENT)
    return LandingContent(
        content=content,
        testimonials=[Testimonial(quote=q, author=a, author_role=r) for q, a, r in DEMO_TESTIMONIALS],
        faq_items=[FaqItem(question=q, answer=a) for q, a in DEMO_FAQ],
    )


def landing_content() -> LandingContent:
    """The landing page's words: the admin's row, else the defaults. Three queries when cold, none when warm."""
    try:
        cached = cache.get(CACHE_KEY)
    except Exception:  # with the cache down the page reads the database, never fails
        logger.warning("site content cache unavailable; reading the database", exc_info=True)
        return _read()
    if cached is not None:
        return cached
    result = _read()
    try:
        cache.set(CACHE_KEY, result, CACHE_SECONDS)
    except Exception:
        logger.warning("site content cache unavailable; not cached", exc_info=True)
    return result


def _read() -> LandingContent:
    content = SiteContent.objects.first()
    if content is None:
        result = _defaults()
    else:
        result = LandingContent(
            content=content,
            testimonials=list(content.testimonials.all()),
            faq_items=list(content.faq_items.all()),
        )
    return result
