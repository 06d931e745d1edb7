from __future__ import annotations

from django.contrib import admin

from config.admin_tools import ReadOnlyAdmin
from courses.models import Asset, Lesson, Module, MuxEvent


class LessonInline(admin.TabularInline):
    model = Lesson
    fields = ("order", "title", "published", "is_free", "video_status", "video_duration")
    readonly_fields = ("video_status", "video_duration")
    ordering = ("order",)
    extra = 0
    show_change_link = True


class AssetInline(admin.TabularInline):
    model = Asset
    fields = ("order", "title", "file", "file_name", "file_size", "mime_type")
    readonly_fields = ("file_name", "file_size", "mime_type")
    ordering = ("order",)
    extra = 0


@admin.register(Module)
class ModuleAdmin(admin.ModelAdmin):
    list_display = ("order", "title", "published", "updated_at")
    list_display_links = ("title",)
    list_filter = ("published",)
    search_fields = ("title",)
    ordering = ("order",)
    inlines = [LessonInline]


@admin.register(Lesson)
class LessonAdmin(admin.ModelAdmin):
    list_display = ("title", "module", "order", "published", "is_free", "video_status", "video_duration")
    list_filter = ("published", "is_free", "video_status", "module")
    list_select_related = ("module",)
    search_fields = ("title", "mux_asset_id", "mux_playback_id")
    ordering = ("module__order", "order")
    readonly_fields = ("id", "created_at", "updated_at")
    inlines = [AssetInline]


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    list_display = ("title", "lesson", "file_name", "file_size", "mime_type", "order")
    list_select_related = ("lesson",)
    search_fields = ("title", "file_name")


@admin.register(MuxEvent)
class MuxEventAdmin(ReadOnlyAdmin):
    list_display = ("mux_event_id", "type", "object_id", "status", "received_at")
    list_filter = ("status", "type")
    search_fields = ("mux_event_id", "object_id")
