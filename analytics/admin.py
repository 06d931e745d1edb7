from django.contrib import admin

from analytics.models import Event
from config.admin_tools import ReadOnlyAdmin


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ("event", "user", "session_id", "created_at")
    list_filter = ("event",)
    list_select_related = ("user",)
    search_fields = ("event", "user__email", "session_id")
    date_hierarchy = "created_at"
    show_full_result_count = False  # COUNT(*) over millions of events on every page load is not free
