"""Content admin: modules, lessons (video upload, body preview, files), publishing and ordering.

Every change made here is written to Django's admin log (LogEntry) with who, when and what, including
the custom actions (publish, move, video upload), so each object's "History" page tells its story.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.forms import BaseModelFormSet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.views.decorators.http import require_GET, require_POST

from config.admin_tools import ReadOnlyAdmin
from config.json_body import JSONBodyError, json_body_parse
from courses import mux, services
from courses.content import lesson_body_html, tiptap_document_errors
from courses.forms import (
    TIPTAP_MAX_BYTES,
    TIPTAP_MAX_DEPTH,
    AssetAdminForm,
    AssetInlineForm,
    AssetInlineFormSet,
    LessonAdminForm,
    LessonChangelistForm,
    LessonChangelistFormSet,
    LessonInlineForm,
    LessonInlineFormSet,
    ModuleAdminForm,
    ModuleChangelistForm,
    ModuleChangelistFormSet,
    VideoUploadForm,
)
from courses.models import Asset, Lesson, Module, MuxEvent, MuxEventStatus, VideoStatus


class LessonInline(admin.TabularInline):
    model = Lesson
    form = LessonInlineForm
    formset = LessonInlineFormSet
    fields = ("order", "title", "published", "is_free", "video_status", "video_duration")
    readonly_fields = ("video_status", "video_duration")
    ordering = ("order",)
    extra = 0
    show_change_link = True
    # No "View on site" per row: Django would route it through the contenttypes shortcut and the
    # migrate-time Site row; the lesson's own admin page has the learner preview.
    view_on_site = False


class AssetInline(admin.TabularInline):
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


class _ContentAdmin(admin.ModelAdmin):
    """Publish / unpublish and move up / down, each change written to the admin log."""

    def publish_one(self, obj: Any, *, published: bool) -> bool:
        raise NotImplementedError

    def move_many(self, ids: list[str], *, up: bool) -> list[services.OrderChange]:
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

    def _move(self, request: HttpRequest, queryset: QuerySet[Any], *, up: bool) -> None:
        changes = self.move_many([str(pk) for pk in queryset.values_list("pk", flat=True)], up=up)
        for change in changes:
            self.log_change(request, change.obj, f"Moved from position {change.old_order} to {change.new_order}.")
        if changes:
            self.message_user(request, f"Moved {'up' if up else 'down'}; {len(changes)} positions changed.")
        else:
            self.message_user(request, "Nothing moved: the selection is already at the edge.", messages.WARNING)

    @admin.action(description="Move selected %(verbose_name_plural)s up", permissions=["change"])
    def move_up(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        self._move(request, queryset, up=True)

    @admin.action(description="Move selected %(verbose_name_plural)s down", permissions=["change"])
    def move_down(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        self._move(request, queryset, up=False)

    actions = ["publish", "unpublish", "move_up", "move_down"]


@admin.register(Module)
class ModuleAdmin(_ContentAdmin):
    form = ModuleAdminForm
    list_display = ("order", "title", "published", "lesson_count", "updated_at")
    list_display_links = ("title",)
    list_editable = ("order", "published")
    list_filter = ("published",)
    search_fields = ("title",)
    ordering = ("order",)
    inlines = [LessonInline]

    def publish_one(self, obj: Module, *, published: bool) -> bool:
        return services.module_publish(module=obj, published=published)

    def move_many(self, ids: list[str], *, up: bool) -> list[services.OrderChange]:
        return services.modules_move(module_ids=ids, up=up)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Module]:
        return super().get_queryset(request).annotate(lesson_total=Count("lessons"))

    @admin.display(description="lessons", ordering="lesson_total")
    def lesson_count(self, obj: Module) -> int:
        return getattr(obj, "lesson_total", 0)

    def get_changelist_form(self, request: HttpRequest, **kwargs: Any) -> Any:
        return ModuleChangelistForm

    def get_changelist_formset(self, request: HttpRequest, **kwargs: Any) -> type[BaseModelFormSet]:
        return super().get_changelist_formset(request, formset=ModuleChangelistFormSet, **kwargs)


@admin.register(Lesson)
class LessonAdmin(_ContentAdmin):
    form = LessonAdminForm
    change_form_template = "admin/courses/lesson/change_form.html"
    list_display = (
        "title",
        "module",
        "order",
        "published",
        "is_free",
        "video_status_display",
        "video_duration",
        "preview_link",
    )
    list_display_links = ("title",)
    list_editable = ("order", "published")
    list_filter = ("published", "is_free", "video_status", "module")
    list_select_related = ("module",)
    search_fields = ("title", "mux_asset_id", "mux_playback_id", "mux_upload_id")
    ordering = ("module__order", "order")
    inlines = [AssetInline]
    readonly_fields = (
        "video_panel",
        "content_preview",
        "mux_upload_id",
        "mux_asset_id",
        "mux_playback_id",
        "mux_playback_policy",
        "video_duration",
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
                    "video_duration",
                ),
            },
        ),
        ("Record", {"classes": ("collapse",), "fields": ("id", "created_at", "updated_at")}),
    )

    class Media:
        css = {"all": ("admin/courses/lesson_admin.css",)}
        js = ("admin/courses/lesson_video_upload.js", "admin/courses/lesson_content_preview.js")

    def publish_one(self, obj: Lesson, *, published: bool) -> bool:
        return services.lesson_publish(lesson=obj, published=published)

    def move_many(self, ids: list[str], *, up: bool) -> list[services.OrderChange]:
        return services.lessons_move(lesson_ids=ids, up=up)

    def view_on_site(self, obj: Lesson) -> str:  # type: ignore[override]
        return obj.get_absolute_url()

    def get_changelist_form(self, request: HttpRequest, **kwargs: Any) -> Any:
        return LessonChangelistForm

    def get_changelist_formset(self, request: HttpRequest, **kwargs: Any) -> type[BaseModelFormSet]:
        return super().get_changelist_formset(request, formset=LessonChangelistFormSet, **kwargs)

    # --- columns and panels ---

    @admin.display(description="video", ordering="video_status")
    def video_status_display(self, obj: Lesson) -> SafeString:
        return format_html(
            '<span class="video-status video-status--{}">{}</span>',
            obj.video_status.lower(),
            obj.get_video_status_display(),
        )

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
