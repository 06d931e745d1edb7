"""Writes to the site content: the demo values `seed_demo` loads, and the cache the landing page reads."""

from __future__ import annotations

import logging

from django.core.cache import cache
from django.db import transaction

from config.ids import new_id
from pages.defaults import DEMO_CONTENT, DEMO_FAQ, DEMO_TESTIMONIALS
from pages.models import FaqItem, SiteContent, Testimonial
from pages.selectors import CACHE_KEY, VERSION_KEY

logger = logging.getLogger(__name__)


def site_content_cache_clear() -> None:
    """Call after any change to the site content (the admin does): the landing page reads it fresh, and
    its kept copies (under the replaced version) are not served again."""
    transaction.on_commit(_cache_delete)


def _cache_delete() -> None:
    try:
        cache.delete(CACHE_KEY)
        cache.set(VERSION_KEY, new_id(), timeout=None)
    except Exception:  # noqa: BLE001 — an edit must save even with the cache down
        logger.warning("site content cache unavailable: the landing page may show old words for 15 minutes")


def site_content_demo_load() -> SiteContent:
    """The demo site content, created once; text an admin already edited is left alone. Idempotent."""
    with transaction.atomic():
        content = SiteContent.objects.first()
        if content is not None:
            return content
        content = SiteContent.objects.create(**DEMO_CONTENT)
        Testimonial.objects.bulk_create(
            Testimonial(site_content=content, quote=quote, author=author, author_role=role, position=index)
            for index, (quote, author, role) in enumerate(DEMO_TESTIMONIALS)
        )
        FaqItem.objects.bulk_create(
            FaqItem(site_content=content, question=question, answer=answer, position=index)
            for index, (question, answer) in enumerate(DEMO_FAQ)
        )
        site_content_cache_clear()
    return content
