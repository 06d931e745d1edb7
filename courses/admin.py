"""Content admin: modules, lessons (video upload, body preview, files), publishing and ordering.

Every change made here is written to Django's admin log (LogEntry) with who, when and what, including
the custom actions (publish, move, video upload), so each object's "History" page tells its story.
"""

from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import urlencode

from adminsortable2.admin import SortableAdminMixin, SortableTabularInline
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.views.decorators.http import require_GET, require_POST

from config.admin_tools import ReadOnlyAdmin
from config.json_body import JSONBodyError, json_body_parse, json_object_parse
from courses import mux, services
from courses.content import lesson_body_html, tiptap_document_errors
from courses.forms import (
    TIPTAP_MAX_BYTES,
    TIPTAP_MAX_DEPTH,
    AssetAdminForm,
    AssetInlineForm,
    AssetInlineFormSet,
    LessonAdminForm,
    LessonInlineForm,
    LessonInlineFormSet,
    ModuleAdminForm,
    VideoUploadForm,
)
from courses.models import Asset, Lesson, Module, MuxEvent, MuxEventStatus, Transcript, TranscriptSource, VideoStatus


def _mm_ss(seconds: int | None) -> str:
    """600 -> "10:00", 3725 -> "1:02:05" (as the lesson page's `duration` filter); "—" for none."""
    if seconds is None or seconds < 0:
        return "—"
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class LessonInline(SortableTabularInline):
    """The module's lessons; drag a row to reorder (django-admin-sortable2), saved with the module."""

    model = Lesson
    form = LessonInlineForm
    formset = LessonInlineFormSet
    fields = ("order", "title", "published", "is_free", "video_status", "duration_display")
    readonly_fields = ("video_status", "duration_display")
    ordering = ("order",)
    extra = 0
    show_change_link = True
    # No "View on site" per row: Django would route it through the contenttypes shortcut and the
    # migrate-time Site row; the lesson's own admin page has the learner preview.
    view_on_site = False

    @admin.display(description="duration")
    def duration_display(self, obj: Lesson) -> str:
        return _mm_ss(obj.video_duration)


class AssetInline(SortableTabularInline):
    """The lesson's files; drag a row to reorder, saved with the lesson."""

    model = Asset
    form = AssetInlineForm
    formset = AssetInlineFormSet
    fields = ("order", "title", "file", "file_name", "file_size_display", "mime_type")
    readonly_fields = ("file_name", "file_size_display", "mime_type")
    ordering = ("order", "created_at")
    extra = 1
    verbose_name = "file"
    verbose_name_plural = "Files (downloads for learners)"

    @admin.display(description="size")
    def file_size_display(self, obj: Asset) -> str:
        return filesizeformat(obj.file_size) if obj.file_size is not None else "—"


class TranscriptInline(admin.TabularInline):
    """The lesson's transcripts: what each is, and a delete box (e.g. to let Mux's captions in again after
    an uploaded correction; the search index follows on save). New ones come from Mux or the upload above."""

    model = Transcript
    fields = ("language", "label", "source", "cue_count", "mux_track_id", "updated_at")
    readonly_fields = fields
    extra = 0
    can_delete = True
    verbose_name_plural = "Transcripts (captions)"

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="cues")
    def cue_count(self, obj: Transcript) -> int:
        return len(obj.cues or [])


class _ContentAdmin(admin.ModelAdmin):
    """Publish / unpublish, each change written to the admin log."""

    def publish_one(self, obj: Any, *, published: bool) -> bool:
        raise NotImplementedError

    def _publish(self, request: HttpRequest, queryset: QuerySet[Any], *, published: bool) -> None:
        changed = 0
        for obj in queryset:
            if self.publish_one(obj, published=published):
                changed += 1
                self.log_change(request, obj, "Published." if published else "Unpublished.")
        verb = "published" if published else "unpublished"
        noun = self.opts.verbose_name if changed == 1 else self.opts.verbose_name_plural
        self.message_user(request, f"{changed} {noun} {verb}.", messages.SUCCESS)

    @admin.action(description="Publish selected %(verbose_name_plural)s", permissions=["change"])
    def publish(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        self._publish(request, queryset, published=True)

    @admin.action(description="Unpublish selected %(verbose_name_plural)s", permissions=["change"])
    def unpublish(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        self._publish(request, queryset, published=False)

    actions = ["publish", "unpublish"]


# A drag posts the rows between the old and the new place; a page holds at most a few hundred.
MAX_DRAGGED_ROWS = 10_000
DRAG_SHAPE = 'Expected {"updatedItems": [["<id>", <position>], ...]}'


def drag_orders(body: bytes) -> dict[str, int]:
    """The positions django-admin-sortable2's changelist script posts after a drop, checked for shape.

    Raises ValueError with a message to show: not JSON, too deep or large, not a list of [id, whole number]
    pairs, too many rows or an id named twice."""
    try:
        items = json_object_parse(body, max_bytes=256 * 1024, max_depth=4).get("updatedItems")
    except JSONBodyError as exc:
        raise ValueError(f"{exc} {DRAG_SHAPE}.") from exc
    if not isinstance(items, list) or not items or len(items) > MAX_DRAGGED_ROWS:
        raise ValueError(f"{DRAG_SHAPE}, with 1 to {MAX_DRAGGED_ROWS:,} rows.")
    orders: dict[str, int] = {}
    for item in items:
        if not (
            isinstance(item, list)
            and len(item) == 2
            and isinstance(item[0], str)
            and type(item[1]) is int  # not a bool, a float or a string
        ):
            raise ValueError(f"{DRAG_SHAPE}; got {json.dumps(item)[:80]}.")
        if item[0] in orders:
            raise ValueError(f"The row {item[0]} is given two positions.")
        orders[item[0]] = item[1]
    return orders


class _DragOrderAdmin(SortableAdminMixin, _ContentAdmin):
    """Changelist drag and drop (django-admin-sortable2) through a service: the positions posted are checked,
    applied in one transaction with the rows locked, and each move is written to the admin log."""

    # sortable2's "move to another page" actions renumber through queryset updates, with no log or scope.
    action_form = ActionForm

    def reorder(self, request: HttpRequest, orders: dict[str, int]) -> list[services.OrderChange]:
        raise NotImplementedError

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        return {name: action for name, action in actions.items() if not name.startswith("move_to_")}

    def update_order(self, request: HttpRequest) -> HttpResponse:
        """sortable2's drag endpoint: 400 with a message for anything off, and then nothing changed."""
        if request.method != "POST":
            return HttpResponse(status=405)
        if not self.has_change_permission(request):
            raise PermissionDenied
        try:
            orders = drag_orders(request.body)
            changes = self.reorder(request, orders)
        except ValueError as exc:  # ReorderRefused included
            return JsonResponse({"error": str(exc)}, status=400)
        for change in changes:
            self.log_change(request, change.obj, f"Moved from position {change.old_order} to {change.new_order}.")
        return JsonResponse({"updated": len(changes)})


@admin.register(Module)
class ModuleAdmin(_DragOrderAdmin):
    """Modules in course order; drag a row to reorder (django-admin-sortable2, through `modules_reorder`)."""

    form = ModuleAdminForm
    list_display = ("title", "order", "published", "lesson_count", "updated_at")
    list_display_links = ("title",)
    list_editable = ("published",)
    list_filter = ("published",)
    search_fields = ("title",)
    ordering = ("order",)
    inlines = [LessonInline]

    def publish_one(self, obj: Module, *, published: bool) -> bool:
        return services.module_publish(module=obj, published=published)

    def reorder(self, request: HttpRequest, orders: dict[str, int]) -> list[services.OrderChange]:
        return services.modules_reorder(orders=orders)

    def get_max_order(self, request: HttpRequest, obj: Module | None = None) -> int:
        """sortable2 puts a new module after this; see LessonAdmin.get_max_order."""
        return services.module_position_last()

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        # Lessons are matched on their module's title, and inline rows may have renamed lessons.
        services.search_index_module(form.instance.pk)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Module]:
        return super().get_queryset(request).annotate(lesson_total=Count("lessons"))

    @admin.display(description="lessons", ordering="lesson_total")
    def lesson_count(self, obj: Module) -> SafeString:
        # To the lesson list filtered by this module: where its lessons are reordered by drag.
        return format_html(
            '<a href="{}?{}={}" title="Reorder this module\'s lessons">{}</a>',
            reverse("admin:courses_lesson_changelist"),
            LESSON_MODULE_FILTER,
            obj.pk,
            getattr(obj, "lesson_total", 0),
        )


# The lesson list's module filter (list_filter "module"); the drag scope.
LESSON_MODULE_FILTER = "module__id__exact"
# Query parameters that leave the list showing all of one module's lessons in position order.
_WHOLE_MODULE_PARAMS = frozenset({LESSON_MODULE_FILTER, "o", "p", "all"})


@admin.register(Lesson)
class LessonAdmin(_DragOrderAdmin):
    """Lessons of every module; filtered by one module the list reorders by drag (positions are per module)."""

    form = LessonAdminForm
    change_form_template = "admin/courses/lesson/change_form.html"
    list_display = (
        "title",
        "module",
        "order",
        "published",
        "is_free",
        "video_status_display",
        "duration_display",
        "preview_link",
    )
    list_display_links = ("title",)
    list_editable = ("published",)
    list_filter = ("published", "is_free", "video_status", "module")
    list_select_related = ("module",)
    search_fields = ("title", "mux_asset_id", "mux_playback_id", "mux_upload_id")
    # sortable2 reads its position field from here; the list of every module is ordered by get_ordering.
    ordering = ("order",)
    inlines = [AssetInline, TranscriptInline]
    readonly_fields = (
        "video_panel",
        "content_preview",
        "mux_upload_id",
        "mux_asset_id",
        "mux_playback_id",
        "mux_playback_policy",
        "duration_display",
        "video_status",
        "video_error",
        "id",
        "created_at",
        "updated_at",
    )
    fieldsets = (
        (None, {"fields": ("module", "title", "order", "published", "is_free")}),
        ("Video", {"fields": ("video_panel",)}),
        ("Body", {"fields": ("content", "content_preview")}),
        (
            "Captions and transcript",
            {"fields": ("captions_file", "captions_language", "captions_label")},
        ),
        (
            "Mux details",
            {
                "classes": ("collapse",),
                "fields": (
                    "video_status",
                    "video_error",
                    "mux_upload_id",
                    "mux_asset_id",
                    "mux_playback_id",
                    "mux_playback_policy",
                    "duration_display",
                ),
            },
        ),
        ("Record", {"classes": ("collapse",), "fields": ("id", "created_at", "updated_at")}),
    )

    class Media:
        css = {"all": ("admin/courses/lesson_admin.css",)}
        js = (
            "admin/courses/lesson_video_upload.js",
            "admin/courses/lesson_content_preview.js",
            # The TipTap editor, built from npm at install time (`make frontend`; static/build/ is git-ignored).
            "build/editor/lesson-editor.js",
        )

    def publish_one(self, obj: Lesson, *, published: bool) -> bool:
        return services.lesson_publish(lesson=obj, published=published)

    def save_model(self, request: HttpRequest, obj: Lesson, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        cues = getattr(form, "parsed_cues", None)
        if cues:
            language = form.cleaned_data.get("captions_language") or "en"
            label = form.cleaned_data.get("captions_label") or language
            services.lesson_transcript_store(
                lesson=obj, language=language, label=label, source=TranscriptSource.UPLOAD, cues=cues
            )
            self.log_change(request, obj, f"Uploaded captions “{label}” ({language}): {len(cues)} cues.")

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        # In the change view's transaction: a search right after the save finds what was saved.
        services.search_index_lessons([form.instance.pk])

    def view_on_site(self, obj: Lesson) -> str:  # type: ignore[override]
        return obj.get_absolute_url()

    # --- ordering: drag within one module ---

    def drag_module_id(self, request: HttpRequest) -> str | None:
        """The module whose lessons the list shows, all of them (no search, no other filter), or None."""
        module_id = request.GET.get(LESSON_MODULE_FILTER)
        if not module_id or not set(request.GET) <= _WHOLE_MODULE_PARAMS:
            return None
        return module_id

    def get_ordering(self, request: HttpRequest) -> list[str] | tuple[str, ...]:
        return ("order",) if request.GET.get(LESSON_MODULE_FILTER) else ("module__order", "order")

    def get_changelist_instance(self, request: HttpRequest) -> Any:
        changelist = super().get_changelist_instance(request)  # sortable2: drag when sorted by position
        # A drop renumbers the rows in view; with lessons of several modules, or some of one module's lessons
        # hidden by a search or filter, those numbers would collide with rows of another module or out of view.
        if self.drag_module_id(request) is None:
            self.enable_sorting = False
        return changelist

    def get_update_url(self, request: HttpRequest) -> str:
        url = super().get_update_url(request)
        module_id = self.drag_module_id(request)
        return f"{url}?{urlencode({LESSON_MODULE_FILTER: module_id})}" if module_id else url

    def reorder(self, request: HttpRequest, orders: dict[str, int]) -> list[services.OrderChange]:
        module_id = request.GET.get(LESSON_MODULE_FILTER)
        if not module_id:
            raise services.ReorderRefused(
                "Lessons are reordered within one module: filter the lesson list by a module, then drag."
            )
        return services.lessons_reorder(module_id=module_id, orders=orders)

    def get_max_order(self, request: HttpRequest, obj: Lesson | None = None) -> int:
        """sortable2 puts a new lesson after this: last in its own module. Called by `save_model` inside the
        add view's transaction, which the position stays reserved for until it commits."""
        return services.lesson_position_last(obj.module_id) if obj is not None else 0

    def get_fieldsets(self, request: HttpRequest, obj: Lesson | None = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None:
            return fieldsets
        # A new lesson goes last in its module (sortable2's save_model with get_max_order above).
        head, *rest = fieldsets
        return ((head[0], {**head[1], "fields": tuple(f for f in head[1]["fields"] if f != "order")}), *rest)

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        module_id = self.drag_module_id(request)
        module = Module.objects.filter(pk=module_id).first() if module_id else None
        return super().changelist_view(request, {**(extra_context or {}), "drag_module": module})

    # --- columns and panels ---

    @admin.display(description="video", ordering="video_status")
    def video_status_display(self, obj: Lesson) -> SafeString:
        return format_html(
            '<span class="video-status video-status--{}">{}</span>',
            obj.video_status.lower(),
            obj.get_video_status_display(),
        )

    @admin.display(description="duration", ordering="video_duration")
    def duration_display(self, obj: Lesson) -> str:
        return _mm_ss(obj.video_duration)

    @admin.display(description="preview")
    def preview_link(self, obj: Lesson) -> SafeString:
        return format_html(
            '<a href="{}" target="_blank" rel="noopener" title="Preview as learner" class="nowrap">Preview ↗</a>',
            obj.get_absolute_url(),
        )

    @admin.display(description="Video")
    def video_panel(self, obj: Lesson | None) -> SafeString:
        if obj is None or obj.pk is None or obj._state.adding:
            return format_html("<p>{}</p>", "Save the lesson first, then upload its video here.")
        return render_to_string(
            "admin/courses/lesson/video_panel.html",
            {
                "lesson": obj,
                "upload_url": reverse("admin:courses_lesson_video_upload", args=[obj.pk]),
                "status_url": reverse("admin:courses_lesson_video_status", args=[obj.pk]),
                "accept": "video/*",
            },
        )

    @admin.display(description="Preview")
    def content_preview(self, obj: Lesson | None) -> SafeString:
        html = _render_body(obj.content) if obj is not None and obj.content else ""
        return render_to_string(
            "admin/courses/lesson/content_preview.html",
            {"html": html, "preview_url": reverse("admin:courses_lesson_content_preview")},
        )

    # --- admin-side endpoints (the video upload and the live preview) ---

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path(
                "content-preview/",
                view(require_POST(self.content_preview_view)),
                name="courses_lesson_content_preview",
            ),
            path(
                "<path:object_id>/video-upload/",
                view(require_POST(self.video_upload_view)),
                name="courses_lesson_video_upload",
            ),
            path(
                "<path:object_id>/image-upload/",
                view(require_POST(self.image_upload_view)),
                name="courses_lesson_image_upload",
            ),
            path(
                "<path:object_id>/video-status/",
                view(require_GET(self.video_status_view)),
                name="courses_lesson_video_status",
            ),
            *super().get_urls(),
        ]

    def _lesson_for_change(self, request: HttpRequest, object_id: str) -> Lesson:
        lesson = self.get_object(request, object_id)
        if lesson is None:
            raise Http404("No such lesson.")
        if not self.has_change_permission(request, lesson):
            raise PermissionDenied
        return lesson

    def video_upload_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Open a Mux direct upload for the file the admin picked; the browser then PUTs it to Mux."""
        lesson = self._lesson_for_change(request, object_id)
        form = VideoUploadForm(request.POST)
        if not form.is_valid():
            message = " ".join(str(error) for errors in form.errors.values() for error in errors)
            return JsonResponse({"error": message}, status=400)
        try:
            upload = services.lesson_video_upload_create(lesson=lesson)
        except mux.MuxError as exc:
            return JsonResponse({"error": f"The upload could not be started: {exc}"}, status=502)
        self.log_change(
            request,
            lesson,
            f"Started a video upload of “{form.cleaned_data['file_name']}” (Mux upload {upload.id}, "
            f"{upload.playback_policy} playback).",
        )
        return JsonResponse({"upload_id": upload.id, "upload_url": upload.url, **_video_state(lesson)})

    def image_upload_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The editor's image button: store the image like lesson files, answer its (access-checked) URL."""
        lesson = self._lesson_for_change(request, object_id)
        upload = request.FILES.get("image")
        if upload is None:
            return JsonResponse({"error": "Choose an image file to upload."}, status=400)
        try:
            image = services.lesson_image_create(lesson=lesson, upload=upload)
        except services.ImageRefused as exc:
            return JsonResponse({"error": str(exc)}, status=400)
        self.log_change(request, lesson, f"Uploaded the body image “{image.file_name}”.")
        alt = os.path.splitext(image.file_name)[0].replace("-", " ").replace("_", " ")
        return JsonResponse({"url": reverse("courses:lesson_image", args=[image.pk]), "alt": alt})

    def video_status_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        lesson = self.get_object(request, object_id)
        if lesson is None:
            raise Http404("No such lesson.")
        if not self.has_view_or_change_permission(request, lesson):
            raise PermissionDenied
        return JsonResponse(_video_state(lesson))

    def content_preview_view(self, request: HttpRequest) -> HttpResponse:
        """Render a (not yet saved) body as the lesson page will: TipTap JSON → sanitised HTML."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        raw = request.POST.get("content", "")
        if not raw.strip():
            return JsonResponse({"html": "", "errors": []})
        try:
            document = json_body_parse(raw, max_bytes=TIPTAP_MAX_BYTES, max_depth=TIPTAP_MAX_DEPTH)
        except JSONBodyError as exc:
            return JsonResponse({"html": "", "errors": [f"Not valid JSON: {exc}"]}, status=400)
        errors = tiptap_document_errors(document)
        if errors:
            return JsonResponse({"html": "", "errors": errors}, status=400)
        return JsonResponse({"html": str(_render_body(document)), "errors": []})


def _render_body(document: Any) -> SafeString:
    # The lesson page's renderer (tiptapy + nh3), so the preview is exactly what learners get.
    return lesson_body_html(document)


def _video_state(lesson: Lesson) -> dict[str, Any]:
    return {
        "status": lesson.video_status,
        "status_label": VideoStatus(lesson.video_status).label,
        "error": lesson.video_error,
        "asset_id": lesson.mux_asset_id,
        "playback_id": lesson.mux_playback_id,
        "duration": lesson.video_duration,
    }


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    form = AssetAdminForm
    fields = ("lesson", "order", "title", "file", "file_name", "file_size", "mime_type")
    readonly_fields = ("file_name", "file_size", "mime_type")
    list_display = ("title", "lesson", "file_name", "file_size", "mime_type", "order")
    list_select_related = ("lesson",)
    search_fields = ("title", "file_name")

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        kwargs["fields"] = ("lesson", "order", "title", "file")
        return super().get_form(request, obj, change, **kwargs)


@admin.register(MuxEvent)
class MuxEventAdmin(ReadOnlyAdmin):
    list_display = ("mux_event_id", "type", "object_id", "status", "attempts", "received_at", "processed_at")
    list_filter = ("status", "type")
    search_fields = ("mux_event_id", "object_id")
    readonly_fields = (
        "mux_event_id",
        "type",
        "object_id",
        "status",
        "flag",
        "attempts",
        "next_attempt_at",
        "error",
        "payload",
        "received_at",
        "processed_at",
    )
    actions = ["reprocess"]

    @admin.action(description="Reprocess selected events")
    def reprocess(self, request: HttpRequest, queryset: QuerySet[MuxEvent]) -> None:
        counts: dict[str, int] = {}
        for event in queryset.exclude(status=MuxEventStatus.PROCESSED).order_by("received_at"):
            result = services.mux_event_reprocess(mux_event=event)
            counts[result.status] = counts.get(result.status, 0) + 1
        summary = ", ".join(f"{n} {MuxEventStatus(status).label.lower()}" for status, n in sorted(counts.items()))
        if summary:
            self.message_user(request, f"Reprocessed: {summary}.")
        else:
            self.message_user(request, "Processed events are left alone.", messages.INFO)
