from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Deferrable
from django.urls import reverse

from config.ids import new_id
from config.provider_events import ProviderEvent, ProviderEventStatus


class ContentQuerySet(models.QuerySet):
    """Course content rows. Writes that bypass `save()`/`delete()` signals (queryset `update()`,
    `bulk_create()`, `bulk_update()` — reorders, admin actions, drag-and-drop) still tell the learner
    pages' cache that content changed (`courses.structure`); single saves and deletes are covered by
    `courses.receivers`. This is cache bookkeeping only, no business rule."""

    def update(self, **kwargs: Any) -> int:
        rows = super().update(**kwargs)
        _content_changed()
        return rows

    def bulk_update(self, objs: Any, fields: Any, batch_size: int | None = None) -> int:
        rows = super().bulk_update(objs, fields, batch_size=batch_size)
        _content_changed()
        return rows

    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> list[Any]:
        created = super().bulk_create(objs, *args, **kwargs)
        _content_changed()
        return created

    def delete(self) -> tuple[int, dict[str, int]]:
        deleted = super().delete()
        _content_changed()
        return deleted


def _content_changed() -> None:
    from courses.structure import content_changed  # noqa: PLC0415 — the structure module imports these models

    content_changed()


ContentManager = models.Manager.from_queryset(ContentQuerySet)


class Module(models.Model):
    id = models.CharField(primary_key=True, max_length=32, default=new_id, editable=False)
    title = models.CharField(max_length=200)
    description = models.TextField(null=True, blank=True)
    order = models.IntegerField()
    published = models.BooleanField(default=False)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ContentManager()

    class Meta:
        ordering = ["order"]
        indexes = [models.Index(fields=["order"], name="module_order")]
        constraints = [
            # DEFERRED so a reorder can swap two positions inside one transaction.
            models.UniqueConstraint(fields=["order"], name="module_order_unique", deferrable=Deferrable.DEFERRED),
        ]

    def __str__(self) -> str:
        return self.title


class VideoStatus(models.TextChoices):
    NONE = "NONE", "No video"
    WAITING = "WAITING", "Waiting for upload"
    PROCESSING = "PROCESSING", "Processing"
    READY = "READY", "Ready"
    ERRORED = "ERRORED", "Errored"


class PlaybackPolicy(models.TextChoices):
    PUBLIC = "public", "Public"
    SIGNED = "signed", "Signed"


class Lesson(models.Model):
    id = models.CharField(primary_key=True, max_length=32, default=new_id, editable=False)
    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="lessons", db_index=False)
    title = models.CharField(max_length=200)
    order = models.IntegerField()
    published = models.BooleanField(default=False)
    is_free = models.BooleanField(default=False, help_text="Free preview: any signed-in account may watch it.")

    # Video (Mux)
    mux_asset_id = models.CharField(max_length=255, null=True, blank=True)
    mux_playback_id = models.CharField(max_length=255, null=True, blank=True)
    video_duration = models.IntegerField(null=True, blank=True, help_text="Seconds.")
    # Additions: the direct upload and its lifecycle, shown on the lesson's admin page.
    mux_upload_id = models.CharField(max_length=255, null=True, blank=True, db_index=True)
    mux_playback_policy = models.CharField(max_length=16, choices=PlaybackPolicy.choices, default=PlaybackPolicy.SIGNED)
    video_status = models.CharField(max_length=16, choices=VideoStatus.choices, default=VideoStatus.NONE)
    video_error = models.TextField(blank=True, default="")

    # Content: TipTap JSON
    content = models.JSONField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ContentManager()

    class Meta:
        ordering = ["module__order", "order"]
        indexes = [
            models.Index(fields=["module"], name="lesson_module"),
            models.Index(fields=["order"], name="lesson_order"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["module", "order"], name="lesson_module_order_unique", deferrable=Deferrable.DEFERRED
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        """The lesson page (DESIGN §11: /lessons/<id>/); staff see unpublished lessons there with a banner."""
        return reverse("courses:lesson", args=[self.pk])


def asset_upload_to(instance: Asset, filename: str) -> str:
    return f"assets/{instance.lesson_id}/{new_id()}/{filename}"


class Asset(models.Model):
    """A downloadable lesson file. `file` is the seed's `fileUrl`: a storage key, handed out
    only as a short-lived signed URL (or streamed) after the access check."""

    id = models.CharField(primary_key=True, max_length=32, default=new_id, editable=False)
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="assets", db_index=False)
    title = models.CharField(max_length=200)
    file_name = models.CharField(max_length=255)
    file = models.FileField(upload_to=asset_upload_to, max_length=500)
    file_size = models.IntegerField(null=True, blank=True, help_text="Bytes.")
    mime_type = models.CharField(max_length=255, null=True, blank=True)
    order = models.IntegerField(default=0)

    created_at = models.DateTimeField(auto_now_add=True)

    objects = ContentManager()

    class Meta:
        ordering = ["order", "created_at"]
        indexes = [models.Index(fields=["lesson"], name="asset_lesson")]

    def __str__(self) -> str:
        return self.title


MuxEventStatus = ProviderEventStatus


class MuxEvent(ProviderEvent):
    """Every Mux webhook event, stored once by its id (idempotency and an operator's record)."""

    mux_event_id = models.CharField(max_length=255, unique=True)
    object_id = models.CharField(max_length=255, blank=True, default="")

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.type} {self.mux_event_id}"
