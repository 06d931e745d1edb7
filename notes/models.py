from __future__ import annotations

from django.conf import settings
from django.db import models

from config.ids import new_id
from courses.models import Lesson

BODY_MAX_LENGTH = 5000


class Note(models.Model):
    """A learner's private note on a lesson, optionally at a moment of its video."""

    id = models.CharField(primary_key=True, max_length=32, default=new_id, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notes", db_index=False)
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="notes", db_index=False)
    body = models.TextField(max_length=BODY_MAX_LENGTH)
    # Seconds into the lesson's video, within [0, video_duration]; empty for a note on the lesson as a whole.
    position_seconds = models.PositiveIntegerField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position_seconds", "created_at"]
        indexes = [models.Index(fields=["user", "lesson"], name="note_user_lesson")]

    def __str__(self) -> str:
        return self.body[:60]
