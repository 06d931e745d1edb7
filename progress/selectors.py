"""The seed's two progress queries (section 5), as selectors.

Deliberate difference from the seed's SQL: modules must be published too (DESIGN.md §4 —
learners only see published lessons of published modules); otherwise the same semantics:
only published lessons count, modules in `order`, then lessons in `order`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import (
    Count,
    Exists,
    F,
    FloatField,
    Func,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from courses.models import Lesson
from courses.selectors import published_course, published_lessons, published_modules
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
        return percent_complete(done=self.completed_lessons, total=self.total_lessons)


def percent_complete(*, done: int, total: int) -> int:
    """The one progress percentage: `done` of `total` lessons, rounded to a whole percent (0 when empty)."""
    return round(100 * done / total) if total else 0


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


@dataclass(frozen=True)
class RecentCompletion:
    lesson: Any  # courses.structure.LessonEntry (pk, title, module.title)
    completed_at: datetime


class EpochSeconds(Func):
    """A timestamp as seconds since 1970 (a double). PostgreSQL keeps the microseconds; SQLite (`make run`'s
    default database) computes it from the Julian day, to a few tens of microseconds."""

    output_field = FloatField()
    template = "EXTRACT(EPOCH FROM %(expressions)s)::float8"

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="(julianday(%(expressions)s) - 2440587.5) * 86400.0", **extra)


@dataclass(frozen=True)
class Dashboard:
    modules: list[ModuleProgress]
    next_lesson: Any  # courses.structure.LessonEntry | None
    resume_seconds: int
    recent: list[RecentCompletion]
    course: Any = None  # the courses.structure.CourseStructure these numbers were counted against


def dashboard_for(*, user: User, recent: int = 5) -> Dashboard:
    """Everything the dashboard shows, from the cached published course and one query of `user`'s
    progress rows — the same answers as `course_progress`, `next_lesson_for`, `lesson_progress` and
    `recently_completed` (the seed's queries), without their cost growing with the course."""
    course = published_course()
    # `completed_at` as epoch seconds (a double: microseconds survive the round trip): parsing a
    # timestamp per row was the page's top cost at 1,000 lessons; only the `recent` few become datetimes.
    epoch = EpochSeconds(F("completed_at"))
    rows = {
        lesson_id: (completed, position, completed_at)
        for lesson_id, completed, position, completed_at in LessonProgress.objects.filter(user=user)
        .annotate(completed_epoch=epoch)
        .values_list("lesson_id", "completed", "position_seconds", "completed_epoch")
    }
    done = {lesson_id for lesson_id, (completed, _, _) in rows.items() if completed}
    modules = [
        ModuleProgress(
            module_id=module.pk,
            module_title=module.title,
            total_lessons=len(module.lessons),
            completed_lessons=sum(1 for lesson in module.lessons if lesson.pk in done),
        )
        for module in course.modules
    ]
    next_lesson = next((lesson for lesson in course.lessons if lesson.pk not in done), None)
    resume = rows.get(next_lesson.pk) if next_lesson else None
    completions = sorted(
        (
            (completed_at, course.by_id[lesson_id])
            for lesson_id, (completed, _, completed_at) in rows.items()
            if completed and completed_at is not None and lesson_id in course.by_id
        ),
        key=lambda pair: pair[0],
        reverse=True,
    )
    return Dashboard(
        modules=modules,
        next_lesson=next_lesson,
        resume_seconds=resume[1] if resume else 0,
        recent=[
            RecentCompletion(lesson=lesson, completed_at=datetime.fromtimestamp(at, tz=UTC))
            for at, lesson in completions[:recent]
        ],
        course=course,
    )


def course_percent(progress: list[ModuleProgress]) -> int:
    """Overall percent complete across the published course, from `course_progress` rows."""
    return percent_complete(
        done=sum(p.completed_lessons for p in progress), total=sum(p.total_lessons for p in progress)
    )


def completed_lesson_ids(*, user: User) -> set[str]:
    """Ids of every lesson `user` has completed. One query."""
    return set(LessonProgress.objects.filter(user=user, completed=True).values_list("lesson_id", flat=True))


def completed_lesson_ids_annotation() -> ArraySubquery:
    """`completed_lesson_ids` as an expression for a query of users (`.annotate(done=…)`, a list of lesson
    ids): the email drain reads a whole chunk of recipients' progress inside the one query that reads them."""
    return ArraySubquery(LessonProgress.objects.filter(user_id=OuterRef("pk"), completed=True).values("lesson_id"))


def completed_lesson_ids_by_user(*, user_ids: Iterable[str]) -> dict[str, set[str]]:
    """The same answer as `completed_lesson_ids_annotation` for several users in one query, on any database
    (ARRAY subqueries are PostgreSQL's; SQLite, `make run`'s default, uses this)."""
    found: dict[str, set[str]] = {}
    rows = LessonProgress.objects.filter(user_id__in=list(user_ids), completed=True).values_list("user_id", "lesson_id")
    for user_id, lesson_id in rows:
        found.setdefault(user_id, set()).add(lesson_id)
    return found


def progress_for_lessons(*, user: User, lesson_ids: Iterable[str]) -> dict[str, LessonProgress]:
    """`user`'s progress rows for these lessons, by lesson id (lessons never started are absent). One query."""
    rows = LessonProgress.objects.filter(user=user, lesson_id__in=list(lesson_ids))
    return {row.lesson_id: row for row in rows}


def lesson_progress(*, user: User, lesson: Lesson) -> LessonProgress | None:
    return LessonProgress.objects.filter(user=user, lesson=lesson).first()


def recently_completed(*, user: User, limit: int = 5) -> list[LessonProgress]:
    """`user`'s latest completions of lessons learners can see, newest first, with lesson and module. One query."""
    return list(
        LessonProgress.objects.filter(user=user, completed=True, lesson__published=True, lesson__module__published=True)
        .select_related("lesson__module")
        .order_by("-completed_at")[:limit]
    )


def user_lesson_progress(*, user: User) -> QuerySet[LessonProgress]:
    """All of `user`'s progress rows with their lesson and module, oldest first (the data export)."""
    return LessonProgress.objects.filter(user=user).select_related("lesson__module").order_by("created_at")


@dataclass(frozen=True)
class LearnersProgress:
    """Progress of many learners at once (the team page): per learner, completed lessons per module
    and when they last touched a lesson."""

    modules: list[ModuleProgress]  # published modules in order, `completed_lessons` = 0 (totals only)
    completed: dict[str, dict[str, int]]  # user id → module id → completed published lessons
    last_active: dict[str, Any]  # user id → latest LessonProgress.updated_at

    def percent(self, user_id: str) -> int:
        total = sum(m.total_lessons for m in self.modules)
        done = sum(self.completed.get(user_id, {}).values())
        return percent_complete(done=done, total=total)


def learners_progress(*, user_ids: QuerySet[Any]) -> LearnersProgress:
    """`user_ids` is a values("user_id")-style subquery, so the page costs three queries whether the
    team has 2 members or 500."""
    totals = published_modules().annotate(
        total_lessons=Count("lessons", filter=Q(lessons__published=True), distinct=True)
    )
    modules = [ModuleProgress(m.pk, m.title, m.total_lessons, 0) for m in totals]
    completed: dict[str, dict[str, int]] = {}
    rows = (
        LessonProgress.objects.filter(
            user_id__in=user_ids, completed=True, lesson__published=True, lesson__module__published=True
        )
        .order_by()
        .values_list("user_id", "lesson__module_id")
        .annotate(n=Count("pk"))
    )
    for user_id, module_id, n in rows:
        completed.setdefault(user_id, {})[module_id] = n
    last_active = dict(
        LessonProgress.objects.filter(user_id__in=user_ids)
        .order_by()
        .values_list("user_id")
        .annotate(latest=Max("updated_at"))
        .values_list("user_id", "latest")
    )
    return LearnersProgress(modules=modules, completed=completed, last_active=last_active)


@dataclass(frozen=True)
class LearnerStanding:
    """What the cancel page shows the learner about their own progress."""

    percent: int
    lessons_done: int
    lessons_total: int
    modules_done: int
    current_module: str | None
    lessons_left_in_module: int
    resume_url: str | None
    resume_title: str | None


def learner_standing(*, user: User) -> LearnerStanding:
    """The learner's progress for billing's cancel flow ("2 lessons left in Module 3", a resume link).
    Two queries."""
    modules = course_progress(user=user)
    lesson = next_lesson_for(user=user)
    total = sum(m.total_lessons for m in modules)
    done = sum(m.completed_lessons for m in modules)
    current = next((m for m in modules if lesson is not None and m.module_id == lesson.module_id), None)
    return LearnerStanding(
        percent=percent_complete(done=done, total=total),
        lessons_done=done,
        lessons_total=total,
        modules_done=sum(1 for m in modules if m.total_lessons and m.completed_lessons == m.total_lessons),
        current_module=current.module_title if current else None,
        lessons_left_in_module=(current.total_lessons - current.completed_lessons) if current else 0,
        resume_url=lesson.get_absolute_url() if lesson is not None else None,
        resume_title=lesson.title if lesson is not None else None,
    )
