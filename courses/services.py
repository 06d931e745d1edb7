"""Writes to course content."""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.db import transaction

from courses.demo import DEMO_COURSE, asset_text, tiptap_body
from courses.models import Asset, Lesson, Module, PlaybackPolicy


@transaction.atomic
def demo_course_load() -> tuple[int, int]:
    """Create or refresh the demo course (modules by order, lessons by module and order).
    Lesson 1 of module 1 is free. Idempotent: running it again changes nothing but text.
    Returns (modules, lessons)."""
    lessons_total = 0
    for module_index, spec in enumerate(DEMO_COURSE, start=1):
        module, _ = Module.objects.update_or_create(
            order=module_index,
            defaults={"title": spec["title"], "description": spec["description"], "published": True},
        )
        for lesson_index, (title, duration) in enumerate(spec["lessons"], start=1):
            is_free = module_index == 1 and lesson_index == 1
            Lesson.objects.update_or_create(
                module=module,
                order=lesson_index,
                defaults={
                    "title": title,
                    "published": True,
                    "is_free": is_free,
                    "video_duration": duration,
                    "mux_playback_policy": PlaybackPolicy.PUBLIC if is_free else PlaybackPolicy.SIGNED,
                    "content": tiptap_body(title, spec["title"]),
                },
            )
            lessons_total += 1
        first_lesson = module.lessons.order_by("order").first()
        asset_title, file_name = spec["asset"]
        if first_lesson and not Asset.objects.filter(lesson__module=module, title=asset_title).exists():
            body = asset_text(asset_title, spec["title"]).encode()
            asset = Asset(
                lesson=first_lesson,
                title=asset_title,
                file_name=file_name,
                file_size=len(body),
                mime_type="text/markdown",
            )
            asset.file.save(file_name, ContentFile(body), save=False)
            asset.save()
    return len(DEMO_COURSE), lessons_total
