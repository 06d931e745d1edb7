from __future__ import annotations

from django.conf import settings
from django.db import models

from config.ids import new_id
from courses.models import Lesson


class LessonProgress(models.Model):
    id = models.CharField(primary_key=True, max_length=32, default=new_id, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="progress", db_index=False
    )
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="progress", db_index=False)
    completed = models.BooleanField(default=False)
    completed_at = models.DateTimeField(null=True, blank=True)
    # Addition: where playback stopped, so "Continue" resumes there on any device.
    position_seconds = models.PositiveIntegerField(default=0)
    # Addition: when the learner first watched the video to its end (video_1_completed / video_completed
    # are recorded once, then), kept apart from `completed`, which the learner may also tick by hand.
    video_completed_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "lesson progress"
        constraints = [models.UniqueConstraint(fields=["user", "lesson"], name="lessonprogress_user_lesson")]
        indexes = [
            models.Index(fields=["user"], name="lessonprogress_user"),
            models.Index(fields=["lesson"], name="lessonprogress_lesson"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} · {self.lesson_id}"
