"""Course content saved or deleted one row at a time (admin forms, inlines, services, webhooks):
the learner pages' cached structure is rebuilt (`courses.structure`). Bulk writes are covered by
`courses.models.ContentQuerySet`."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from courses.models import Asset, Lesson, Module
from courses.structure import content_changed


@receiver(post_save, sender=Module, dispatch_uid="courses-module-saved")
@receiver(post_save, sender=Lesson, dispatch_uid="courses-lesson-saved")
@receiver(post_save, sender=Asset, dispatch_uid="courses-asset-saved")
@receiver(post_delete, sender=Module, dispatch_uid="courses-module-deleted")
@receiver(post_delete, sender=Lesson, dispatch_uid="courses-lesson-deleted")
@receiver(post_delete, sender=Asset, dispatch_uid="courses-asset-deleted")
def course_content_changed(sender: Any, **kwargs: Any) -> None:
    content_changed()
