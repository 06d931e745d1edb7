"""Cache bookkeeping for the lesson Q&A threads (qa/thread_cache.py): no business rule here."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from qa.models import Post
from qa.thread_cache import threads_changed


@receiver(post_save, sender=Post, dispatch_uid="qa.thread_cache.post_saved")
@receiver(post_delete, sender=Post, dispatch_uid="qa.thread_cache.post_deleted")
@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="qa.thread_cache.user_saved")
def on_thread_written(sender: Any, **kwargs: Any) -> None:
    threads_changed()
