"""The published course structure, built once per content version and shared by the learner pages.

What every learner sees the same — modules, their published lessons in order, durations, files, the
outline's lesson rows already rendered — is built here from three queries and kept in each process's
memory under the current *content version*. Per request the pages only overlay the learner's own
state (completed, locked, the current lesson), so a 1,000-lesson course costs about what a 10-lesson
one does.

The content version is one small key in the shared cache (Redis). Any change to a Module, Lesson or
Asset — a save, a delete, a queryset `update()`, `bulk_create()` or `bulk_update()` (admin edits,
drag-and-drop reorders, publish/unpublish, Mux webhooks, files) — replaces it (`content_changed`,
wired at the model level in `courses.models` and `courses.receivers`), so every process rebuilds on
its next request: edits show at once. Nothing per-learner is ever stored here.

When the cache cannot be read the structure is built for that request alone: slower, never stale.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.safestring import SafeString

from config.ids import new_id
from courses.content import lesson_body_html
from courses.models import Asset, Lesson, Module

logger = logging.getLogger(__name__)

VERSION_KEY = "courses:content-version"
# A process keeps a built structure at most this long even if the version never moved (a safety net
# for a change whose version bump was lost while the cache was down).
LOCAL_TTL_SECONDS = 300
# The states a lesson row can be shown in on the outline; each is rendered once per content version.
ROW_STATES = ("done", "locked", "open")
ROW_TEMPLATE = "courses/_outline_lesson.html"
MODULE_TEMPLATE = "courses/_outline_module.html"
DASHBOARD_MODULE_TEMPLATE = "courses/_dashboard_module.html"
# Where the outline view puts a learner's numbers and a module's lesson list into a module rendered once
# per version (NUL never occurs in content: PostgreSQL refuses it in text, so no title can forge one).
SLOTS = {name: SafeString(f"\x00{name}\x00") for name in ("done", "percent", "done_class", "body")}
UNCACHED = "uncached"  # the version of a structure built for one request while the cache is down


@dataclass(frozen=True)
class AssetEntry:
    pk: str
    title: str
    file_name: str
    file_size: int | None


@dataclass(frozen=True)
class ModuleRef:
    pk: str
    title: str
    published: bool = True  # the structure holds published modules only (`lesson_access` asks)


@dataclass(frozen=True)
class LessonEntry:
    """A published lesson as the learner pages list it (no body: only the lesson page decodes that)."""

    pk: str
    title: str
    module_id: str
    module_title: str
    is_free: bool
    video_duration: int | None
    url: str
    index: int  # position in the whole course, for previous / next
    assets: tuple[AssetEntry, ...] = ()
    rows: Mapping[str, SafeString] = field(default_factory=dict, repr=False)  # outline row HTML by state
    published: bool = True  # the structure holds published lessons only (templates ask)

    @property
    def module(self) -> ModuleRef:
        """`lesson.module.title` in templates, as for a Lesson."""
        return ModuleRef(self.module_id, self.module_title)

    def get_absolute_url(self) -> str:
        """As `Lesson.get_absolute_url` (the structure keeps it as `url`)."""
        return self.url


@dataclass(frozen=True)
class ModuleEntry:
    pk: str
    title: str
    description: str | None
    lessons: tuple[LessonEntry, ...]
    lesson_ids: frozenset[str] = frozenset()
    # The outline's <section> for this module with `SLOTS` to fill, by "learner" / "visitor"; and the
    # link that opens a collapsed module of a long course ("more"); its dashboard row ("dashboard", slots
    # done, percent and done_class).
    html: Mapping[str, str] = field(default_factory=dict, repr=False)

    @property
    def lesson_count(self) -> int:
        return len(self.lessons)

    @property
    def total_seconds(self) -> int:
        return sum(lesson.video_duration or 0 for lesson in self.lessons)


@dataclass(frozen=True)
class CourseStructure:
    version: str
    modules: tuple[ModuleEntry, ...]
    lessons: tuple[LessonEntry, ...]  # course order
    by_id: Mapping[str, LessonEntry]
    modules_by_id: Mapping[str, ModuleEntry]
    # Lesson bodies as HTML, filled as lessons are viewed (see `lesson_body`); dropped with the version.
    bodies: dict[str, SafeString] = field(default_factory=dict, repr=False)
    # Lesson rows with their modules, filled as lessons are viewed (see `lesson_row`); dropped with it.
    lesson_rows: dict[str, Lesson] = field(default_factory=dict, repr=False)

    @property
    def free_lesson(self) -> LessonEntry | None:
        return next((lesson for lesson in self.lessons if lesson.is_free), None)

    @property
    def seconds_total(self) -> int:
        return sum(module.total_seconds for module in self.modules)

    def neighbours(self, lesson_id: str) -> tuple[LessonEntry | None, LessonEntry | None]:
        entry = self.by_id.get(lesson_id)
        if entry is None:
            return None, None
        previous = self.lessons[entry.index - 1] if entry.index > 0 else None
        following = self.lessons[entry.index + 1] if entry.index + 1 < len(self.lessons) else None
        return previous, following


# --- The content version ---------------------------------------------------------------------


def _version_bump() -> None:
    try:
        cache.set(VERSION_KEY, new_id(), timeout=None)
    except Exception:
        logger.exception("could not bump the course content version; processes catch up within %ss", LOCAL_TTL_SECONDS)


def content_changed() -> None:
    """Course content changed: every process rebuilds the structure on its next request.

    Bumped now (so this transaction's own later reads see the change) and again when the transaction
    commits (a request that read the old rows meanwhile cached them under the version replaced here).
    """
    _version_bump()
    transaction.on_commit(_version_bump)


def content_version() -> str | None:
    """The current content version, created on first use; None when the cache cannot be read."""
    try:
        version = cache.get(VERSION_KEY)
        if version is None:
            cache.add(VERSION_KEY, new_id(), timeout=None)
            version = cache.get(VERSION_KEY)
    except Exception:
        logger.warning("course content version unavailable; building the structure uncached", exc_info=True)
        return None
    return version


# --- Building --------------------------------------------------------------------------------


def _build(version: str) -> CourseStructure:

    modules = list(Module.objects.filter(published=True).order_by("order").only("pk", "title", "description"))
    lessons = list(
        Lesson.objects.filter(published=True, module__published=True)
        .order_by("module__order", "order")
        .only("pk", "title", "module_id", "is_free", "video_duration")
    )
    assets: dict[str, list[AssetEntry]] = {}
    for asset in (
        Asset.objects.filter(lesson__published=True, lesson__module__published=True)
        .order_by("order", "created_at")
        .only("pk", "title", "file_name", "file_size", "lesson_id")
    ):
        assets.setdefault(asset.lesson_id, []).append(
            AssetEntry(pk=asset.pk, title=asset.title, file_name=asset.file_name, file_size=asset.file_size)
        )
    titles = {module.pk: module.title for module in modules}
    entries: list[LessonEntry] = []
    for index, lesson in enumerate(lessons):
        entry = LessonEntry(
            pk=lesson.pk,
            title=lesson.title,
            module_id=lesson.module_id,
            module_title=titles[lesson.module_id],
            is_free=lesson.is_free,
            video_duration=lesson.video_duration,
            # Reversed here once per version: reversing it per lesson per request was a fifth of a large
            # outline's cost.
            url=lesson.get_absolute_url(),
            index=index,
            assets=tuple(assets.get(lesson.pk, ())),
        )
        rows = {state: render_to_string(ROW_TEMPLATE, {"lesson": entry, "state": state}) for state in ROW_STATES}
        entries.append(_with_rows(entry, rows))
    by_module: dict[str, list[LessonEntry]] = {module.pk: [] for module in modules}
    for entry in entries:
        by_module[entry.module_id].append(entry)
    module_entries = tuple(
        _with_html(
            ModuleEntry(
                pk=m.pk,
                title=m.title,
                description=m.description,
                lessons=tuple(by_module[m.pk]),
                lesson_ids=frozenset(entry.pk for entry in by_module[m.pk]),
            ),
            number,
        )
        for number, m in enumerate(modules, start=1)
    )
    return CourseStructure(
        version=version,
        modules=module_entries,
        lessons=tuple(entries),
        by_id={entry.pk: entry for entry in entries},
        modules_by_id={module.pk: module for module in module_entries},
    )


def _with_rows(entry: LessonEntry, rows: Mapping[str, str]) -> LessonEntry:
    # Rendered rows are whole, safe HTML fragments; whitespace between tags is dropped so a long
    # outline does not send kilobytes of indentation.
    compact = {state: SafeString(" ".join(html.split())) for state, html in rows.items()}
    object.__setattr__(entry, "rows", compact)
    return entry


def _with_html(module: ModuleEntry, number: int) -> ModuleEntry:
    html = {
        variant: render_to_string(
            MODULE_TEMPLATE, {"module": module, "number": number, "signed_in": variant == "learner", "slot": SLOTS}
        )
        for variant in ("learner", "visitor")
    }
    html["dashboard"] = SafeString(
        render_to_string(DASHBOARD_MODULE_TEMPLATE, {"module": module, "slot": SLOTS}).strip()
    )
    total = module.lesson_count
    html["more"] = format_html(
        '<p class="outline-module__more"><a href="?module={}#module-{}">Show the {} lesson{} of this module</a></p>',
        module.pk,
        module.pk,
        total,
        "" if total == 1 else "s",
    )
    object.__setattr__(module, "html", html)
    return module


_local: dict[str, tuple[float, CourseStructure]] = {}
_lock = threading.Lock()


_pinned: ContextVar[CourseStructure | None] = ContextVar("course_structure_pinned", default=None)


@contextmanager
def structure_pinned() -> Iterator[CourseStructure]:
    """Inside the block `course_structure()` answers the structure read on entry, without another
    cache read each time (the email drain renders many emails from one structure)."""
    structure = course_structure()
    token = _pinned.set(structure)
    try:
        yield structure
    finally:
        _pinned.reset(token)


def course_structure() -> CourseStructure:
    """The published course as every learner sees it, for the current content version.

    One cache read per call; three queries (and the rows' rendering) only when the version moved.
    """
    pinned = _pinned.get()
    if pinned is not None:
        return pinned
    version = content_version()
    if version is None:
        return _build(UNCACHED)
    now = time.monotonic()
    held = _local.get(version)
    if held is not None and now - held[0] < LOCAL_TTL_SECONDS:
        return held[1]
    structure = _build(version)
    with _lock:
        _local.clear()  # only the current version is ever useful
        _local[version] = (now, structure)
    return structure


BODIES_MAX = 2000


def lesson_body(structure: CourseStructure, lesson: Any) -> SafeString:
    """`lesson`'s TipTap body as sanitised HTML, decoded once per content version in this process.

    Read `structure` (the version) before loading `lesson`: a change committed in between then moves
    the version on, and what was decoded from the older row is never served under the new one.
    """

    if structure.version == UNCACHED:
        return lesson_body_html(lesson.content)
    html = structure.bodies.get(lesson.pk)
    if html is None:
        html = lesson_body_html(lesson.content)
        if len(structure.bodies) < BODIES_MAX:
            structure.bodies[lesson.pk] = html
    return html


def lesson_row(structure: CourseStructure, lesson_id: str) -> Lesson | None:
    """`courses.selectors.lesson_get` (the lesson with its module, published or not; None for an unknown
    id) through this process's copy for `structure`'s content version: a Lesson or Module write moves
    the version on, so the copy is as fresh as the row. Read `structure` before calling (as for
    `lesson_body`). A copy is returned each time: callers may set attributes on it."""
    if structure.version == UNCACHED:
        return Lesson.objects.select_related("module").filter(pk=lesson_id).first()
    held = structure.lesson_rows.get(lesson_id)
    if held is None:
        held = Lesson.objects.select_related("module").filter(pk=lesson_id).first()
        if held is None:
            return None  # unknown ids are not remembered
        if len(structure.lesson_rows) < BODIES_MAX:
            structure.lesson_rows[lesson_id] = held
    return copy.copy(held)


def structure_reset_local() -> None:
    """Forget what this process built (tests; nothing else needs it)."""
    with _lock:
        _local.clear()
