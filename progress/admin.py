from django.contrib import admin

from progress.models import LessonProgress


@admin.register(LessonProgress)
class LessonProgressAdmin(admin.ModelAdmin):
    list_display = (
        "user",
        "lesson",
        "completed",
        "completed_at",
        "video_completed_at",
        "position_seconds",
        "updated_at",
    )
    list_filter = ("completed",)
    list_select_related = ("user", "lesson")
    search_fields = ("user__email", "lesson__title")
    raw_id_fields = ("user", "lesson")
