from __future__ import annotations

from django.contrib import admin

from billing.models import StripeEvent, Subscription
from billing.selectors import is_refund_eligible
from config.admin_tools import ReadOnlyAdmin


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ("user", "plan", "status", "current_period_end", "cancel_at_period_end", "refund_eligible")
    list_filter = ("status", "plan", "cancel_at_period_end")
    list_select_related = ("user",)
    search_fields = ("user__email", "stripe_customer_id", "stripe_subscription_id")
    date_hierarchy = "current_period_end"
    ordering = ("current_period_end",)
    readonly_fields = ("id", "created_at", "updated_at", "stripe_synced_at")
    raw_id_fields = ("user",)

    @admin.display(boolean=True, description="Refundable")
    def refund_eligible(self, obj: Subscription) -> bool:
        return is_refund_eligible(obj)


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdmin):
    list_display = ("stripe_event_id", "type", "status", "stripe_created", "processed_at")
    list_filter = ("status", "type")
    search_fields = ("stripe_event_id", "type")
    date_hierarchy = "stripe_created"
