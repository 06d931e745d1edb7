from __future__ import annotations

import json

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.html import format_html

from billing import services
from billing.models import StripeEvent, StripeEventStatus, Subscription
from billing.selectors import is_refund_eligible
from billing.stripe_client import StripeUnavailable
from config.admin_tools import ReadOnlyAdmin

# Mirrored from Stripe by the webhooks: edited there (or through the portal), never by hand here.
STRIPE_FIELDS = (
    "stripe_customer_id",
    "stripe_subscription_id",
    "status",
    "stripe_status",
    "plan",
    "stripe_price_id",
    "current_period_start",
    "current_period_end",
    "cancel_at_period_end",
    "cancelled_at",
    "payment_failed_at",
    "stripe_created_at",
    "stripe_synced_at",
    "refunded_at",
    "refunded_charge_id",
)


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = (
        "user",
        "plan",
        "status",
        "stripe_status",
        "current_period_end",
        "cancel_at_period_end",
        "created_at",
        "refund_eligible",
        "refunded_at",
    )
    list_filter = ("status", "plan", "cancel_at_period_end")
    list_select_related = ("user",)
    search_fields = ("user__email", "stripe_customer_id", "stripe_subscription_id")
    date_hierarchy = "current_period_end"
    ordering = ("current_period_end",)
    readonly_fields = ("id", "created_at", "updated_at", *STRIPE_FIELDS)
    raw_id_fields = ("user",)
    actions = ["refund_and_cancel"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # subscriptions are created by Stripe's webhooks; a hand-made row would match nothing there

    @admin.display(boolean=True, description="Refundable")
    def refund_eligible(self, obj: Subscription) -> bool:
        return is_refund_eligible(obj)

    @admin.action(description="Refund latest payment and cancel")
    def refund_and_cancel(self, request: HttpRequest, queryset: QuerySet[Subscription]) -> HttpResponse | None:
        """Seed §9: only within 90 days of creation. A confirmation page first; on confirm, each
        eligible subscription's latest payment is refunded at Stripe and the subscription cancelled now."""
        subscriptions = list(queryset.select_related("user"))
        eligible = [s for s in subscriptions if is_refund_eligible(s)]
        ineligible = [s for s in subscriptions if not is_refund_eligible(s)]
        if request.POST.get("post") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "title": "Refund and cancel",
                "opts": self.model._meta,
                "eligible": eligible,
                "ineligible": ineligible,
                "queryset": queryset,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                "media": self.media,
            }
            request.current_app = self.admin_site.name
            return TemplateResponse(request, "admin/billing/subscription/refund_confirmation.html", context)
        for subscription in ineligible:
            self.message_user(
                request,
                f"{subscription.user}: not refunded — created more than 90 days ago.",
                messages.WARNING,
            )
        for subscription in eligible:
            try:
                refund = services.subscription_refund_and_cancel(subscription=subscription)
            except services.RefundNotAllowed as exc:
                self.message_user(request, f"{subscription.user}: not refunded — {exc}", messages.WARNING)
            except StripeUnavailable as exc:
                self.message_user(request, f"{subscription.user}: Stripe failed — {exc}. Try again.", messages.ERROR)
            else:
                # The subscription's History page is the audit trail of who refunded what, and when.
                self.log_change(
                    request, subscription, f"Refunded ${refund.amount / 100:.2f} ({refund.id}) and cancelled."
                )
                self.message_user(
                    request,
                    f"{subscription.user}: refunded ${refund.amount / 100:.2f} ({refund.id}) and cancelled.",
                    messages.SUCCESS,
                )
        return None


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdmin):
    list_display = (
        "stripe_event_id",
        "type",
        "status",
        "attempts",
        "flag",
        "stripe_created",
        "received_at",
        "processed_at",
    )
    list_filter = ("status", "type", "api_version")
    search_fields = ("stripe_event_id", "type")
    date_hierarchy = "stripe_created"
    fields = (
        "stripe_event_id",
        "type",
        "status",
        "flag",
        "api_version",
        "attempts",
        "next_attempt_at",
        "stripe_created",
        "received_at",
        "processed_at",
        "error",
        "payload_pretty",
    )
    readonly_fields = fields
    actions = ["reprocess"]

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # the audit trail of what Stripe told us

    @admin.display(description="Payload")
    def payload_pretty(self, obj: StripeEvent) -> str:
        return format_html("<pre style='white-space: pre-wrap'>{}</pre>", json.dumps(obj.payload, indent=2))

    @admin.action(description="Reprocess selected events")
    def reprocess(self, request: HttpRequest, queryset: QuerySet[StripeEvent]) -> None:
        counts: dict[str, int] = {}
        skipped = 0
        for event in queryset.order_by("stripe_created"):
            if event.status == StripeEventStatus.PROCESSED:
                skipped += 1
                continue
            result = services.stripe_event_reprocess(stripe_event=event)
            counts[result.status] = counts.get(result.status, 0) + 1
        summary = ", ".join(f"{n} {StripeEventStatus(status).label.lower()}" for status, n in sorted(counts.items()))
        if summary:
            level = messages.ERROR if counts.get(StripeEventStatus.FAILED) else messages.SUCCESS
            self.message_user(request, f"Reprocessed: {summary}.", level)
        if skipped:
            self.message_user(request, f"{skipped} already processed event(s) left alone.", messages.INFO)
