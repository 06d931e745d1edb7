from __future__ import annotations

import factory

from courses.models import Asset, Lesson, Module


class ModuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Module

    title = factory.Sequence(lambda n: f"Module {n}")
    description = "What this module covers."
    order = factory.Sequence(lambda n: n + 100)
    published = True


class LessonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lesson

    module = factory.SubFactory(ModuleFactory)
    title = factory.Sequence(lambda n: f"Lesson {n}")
    order = factory.Sequence(lambda n: n + 100)
    published = True
    is_free = False
    video_duration = 600
    mux_playback_id = factory.Sequence(lambda n: f"playback{n:06d}")
    content = factory.LazyFunction(
        lambda: {"type": "doc", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Notes."}]}]}
    )


class AssetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Asset

    lesson = factory.SubFactory(LessonFactory)
    title = factory.Sequence(lambda n: f"Worksheet {n}")
    file_name = "worksheet.md"
    file = factory.django.FileField(filename="worksheet.md", data=b"# Worksheet\n")
    file_size = 12
    mime_type = "text/markdown"
    order = 0
