from __future__ import annotations

from django.conf import settings
from django.db import models

from config.ids import new_id


class Certificate(models.Model):
    """Proof that a learner completed every published lesson. Issued once per learner, ever.

    The name and course title are copied at issue time: the certificate says what was true that day,
    whatever the profile or the course becomes later (lessons added afterwards do not undo it)."""

    id = models.CharField(primary_key=True, max_length=32, default=new_id, editable=False)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="certificate")
    name = models.CharField(max_length=200)
    course_title = models.CharField(max_length=200)
    lessons_completed = models.PositiveIntegerField()
    issued_at = models.DateTimeField()
    # The learner may take the public page down (and put it back); the id stays theirs.
    is_public = models.BooleanField(default=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-issued_at"]

    def __str__(self) -> str:
        return f"{self.name} · {self.course_title} ({self.pk})"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
