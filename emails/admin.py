from django.contrib import admin

from config.admin_tools import ReadOnlyAdmin
from emails.models import EmailLog, EmailQueue, EmailSuppression


@admin.register(EmailQueue)
class EmailQueueAdmin(admin.ModelAdmin):
    list_display = ("template", "user_id", "status", "scheduled_for", "attempts", "processed_at")
    list_filter = ("status", "template")
    search_fields = ("user_id", "idempotency_key")
    date_hierarchy = "scheduled_for"
    ordering = ("scheduled_for",)
    readonly_fields = ("id", "created_at", "processed_at", "attempts", "last_error", "idempotency_key")
    raw_id_fields = ("user",)


@admin.register(EmailLog)
class EmailLogAdmin(ReadOnlyAdmin):
    list_display = ("template", "to", "subject", "status", "sent_at")
    list_filter = ("status", "template")
    search_fields = ("to", "subject")
    date_hierarchy = "sent_at"


@admin.register(EmailSuppression)
class EmailSuppressionAdmin(admin.ModelAdmin):
    list_display = ("email", "reason", "created_at")
    list_filter = ("reason",)
    search_fields = ("email",)
