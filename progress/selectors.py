"""The seed's two progress queries (section 5), as selectors.

Deliberate difference from the seed's SQL: modules must be published too (DESIGN.md §4 —
learners only see published lessons of published modules); otherwise the same semantics:
only published lessons count, modules in `order`, then lessons in `order`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, Exists, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from courses.models import Lesson
from courses.selectors import published_lessons, published_modules
from progress.models import LessonProgress

if TYPE_CHECKING:
    from accounts.models import User


@dataclass(frozen=True)
class ModuleProgress:
    module_id: str
    module_title: str
    total_lessons: int
    completed_lessons: int

    @property
    def percent(self) -> int:
        return round(100 * self.completed_lessons / self.total_lessons) if self.total_lessons else 0


def course_progress(*, user: User) -> list[ModuleProgress]:
    """Per published module, in order: published lessons and how many of them `user` completed. One query."""
    total = (
        Lesson.objects.filter(module=OuterRef("pk"), published=True)
        .order_by()
        .values("module")
        .annotate(n=Count("pk"))
        .values("n")
    )
    completed = (
        LessonProgress.objects.filter(user=user, completed=True, lesson__module=OuterRef("pk"), lesson__published=True)
        .order_by()
        .values("lesson__module")
        .annotate(n=Count("pk"))
        .values("n")
    )
    rows = published_modules().annotate(
        total_lessons=Coalesce(Subquery(total, output_field=IntegerField()), Value(0)),
        completed_lessons=Coalesce(Subquery(completed, output_field=IntegerField()), Value(0)),
    )
    return [
        ModuleProgress(
            module_id=m.pk,
            module_title=m.title,
            total_lessons=m.total_lessons,
            completed_lessons=m.completed_lessons,
        )
        for m in rows
    ]


def next_lesson_for(*, user: User) -> Lesson | None:
    """The first published lesson (module order, then lesson order) `user` has not completed. One query."""
    done = LessonProgress.objects.filter(lesson=OuterRef("pk"), user=user, completed=True)
    return published_lessons().select_related("module").filter(~Exists(done)).first()
