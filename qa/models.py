from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from config.ids import new_id
from courses.models import Lesson
from qa.thread_cache import threads_changed

BODY_MAX_LENGTH = 5000


class PostQuerySet(models.QuerySet["Post"]):
    """Posts. Writes that bypass `save()`/`delete()` signals (queryset `update()`, `bulk_update()`,
    `bulk_create()`, admin actions) still retire the cached lesson threads (`qa.thread_cache`; saves and
    deletes: `qa.receivers`). Cache bookkeeping only, no business rule."""

    def update(self, **kwargs: Any) -> int:
        rows = super().update(**kwargs)
        threads_changed()
        return rows

    def bulk_update(self, objs: Any, fields: Any, batch_size: int | None = None) -> int:
        rows = super().bulk_update(objs, fields, batch_size=batch_size)
        threads_changed()
        return rows

    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> list[Any]:
        created = super().bulk_create(objs, *args, **kwargs)
        threads_changed()
        return created


class Post(models.Model):
    """A question under a lesson (`question` empty) or an answer to one.

    Questions and answers share one table so a lesson's whole thread is one query (the lesson page's
    query budget is pinned). `body` is the author's Markdown; `body_html` is its sanitised rendering,
    made once when the post is written (qa/markdown.py)."""

    id = models.CharField(primary_key=True, max_length=32, default=new_id, editable=False)
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="qa_posts", db_index=False)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="qa_posts")
    question = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="answers", db_index=False
    )
    body = models.TextField(max_length=BODY_MAX_LENGTH)
    body_html = models.TextField(editable=False)
    # The author was staff when posting: their answers are marked as the course team's.
    by_staff = models.BooleanField(default=False)
    # Questions only: the asker (or staff) marked it answered.
    is_answered = models.BooleanField(default=False)
    # Moderation (admin): hidden posts are shown to nobody on the site; pinned questions come first.
    is_hidden = models.BooleanField(default=False)
    is_pinned = models.BooleanField(default=False)

    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)

    objects = PostQuerySet.as_manager()

    class Meta:
        verbose_name = "Q&A post"
        verbose_name_plural = "Q&A posts"
        ordering = ["created_at"]
        indexes = [
            models.Index(fields=["lesson", "question", "created_at"], name="qapost_lesson_thread"),
            models.Index(fields=["question", "created_at"], name="qapost_question_answers"),
            # The admin index's "open questions" count and each learner's open questions.
            models.Index(
                fields=["created_at"],
                name="qapost_open_questions",
                condition=Q(question__isnull=True, is_answered=False, is_hidden=False),
            ),
        ]

    def __str__(self) -> str:
        kind = "Question" if self.is_question else "Answer"
        excerpt = self.body[:60] + ("…" if len(self.body) > 60 else "")
        return f"{kind}: {excerpt}"

    @property
    def is_question(self) -> bool:
        return self.question_id is None
