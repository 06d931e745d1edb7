from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from config.admin_tools import ReadOnlyAdmin
from emails.models import MARKETING_TEMPLATES, EmailLog, EmailQueue, EmailStatus, EmailSuppression, EmailTemplate
from emails.rendering import SAMPLE_DATA, email_render
from emails.services import email_queue_cancel, email_queue_retry, email_queue_send_now


class DueFilter(admin.SimpleListFilter):
    title = "due"
    parameter_name = "due"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            ("now", "Due now (pending)"),
            ("later", "Scheduled later"),
            ("retrying", "Waiting to retry"),
            # Only the on-commit send leases its row; the beat drain's chunk holds row locks, which no filter sees.
            ("leased", "Being sent on commit (leased)"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[EmailQueue]) -> QuerySet[EmailQueue]:
        now = timezone.now()
        pending = queryset.filter(status=EmailStatus.PENDING)
        if self.value() == "now":
            return pending.filter(scheduled_for__lte=now).filter(
                Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
            )
        if self.value() == "later":
            return pending.filter(scheduled_for__gt=now)
        if self.value() == "retrying":
            return pending.filter(attempts__gt=0, next_attempt_at__gt=now)
        if self.value() == "leased":
            return pending.filter(locked_until__gt=now)
        return queryset


class KindFilter(admin.SimpleListFilter):
    title = "kind"
    parameter_name = "kind"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("marketing", "Marketing"), ("transactional", "Transactional")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[EmailQueue]) -> QuerySet[EmailQueue]:
        if self.value() == "marketing":
            return queryset.filter(template__in=MARKETING_TEMPLATES)
        if self.value() == "transactional":
            return queryset.exclude(template__in=MARKETING_TEMPLATES)
        return queryset


def _recipient_email() -> Subquery:
    return Subquery(get_user_model().objects.filter(pk=OuterRef("user_id")).values("email")[:1])


def _user_ids_with_email_containing(term: str) -> QuerySet[Any]:
    return get_user_model().objects.filter(email__icontains=term).values("pk")


@admin.register(EmailQueue)
class EmailQueueAdmin(admin.ModelAdmin):
    """The queue is written by triggers and the drain; operators act on it only through the actions."""

    change_list_template = "emails/admin/emailqueue_change_list.html"
    list_display = ("template", "recipient", "status", "scheduled_for", "attempts", "next_attempt_at", "processed_at")
    list_filter = ("status", DueFilter, KindFilter, "template", "scheduled_for", "processed_at")
    search_fields = ("=id", "idempotency_key")
    search_help_text = "An email address (or part of one), a user id, a row id or an idempotency key."
    date_hierarchy = "scheduled_for"
    ordering = ("-scheduled_for",)
    list_per_page = 100
    show_full_result_count = False  # the queue grows without bound; no COUNT(*) of it on every page
    fields = (
        "id",
        "recipient",
        "user_id",
        "template",
        "status",
        "scheduled_for",
        "data",
        "idempotency_key",
        "attempts",
        "next_attempt_at",
        "last_error",
        "locked_until",
        "lock_token",
        "created_at",
        "processed_at",
    )
    readonly_fields = fields
    actions = ("cancel_selected", "send_selected_now", "retry_selected")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[EmailQueue]:
        # A subquery, not a join: a row may outlive its user (no constraint), and must still be listed.
        return super().get_queryset(request).annotate(recipient_email=_recipient_email())

    @admin.display(description="recipient", ordering="recipient_email")
    def recipient(self, obj: EmailQueue) -> str:
        return getattr(obj, "recipient_email", None) or f"(deleted user {obj.user_id})"

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[EmailQueue], search_term: str
    ) -> tuple[QuerySet[EmailQueue], bool]:
        # A user id finds that learner's rows without a join (the row may outlive its user); an address
        # (or part of one) finds the rows of the users whose address contains it.
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if term:
            results |= queryset.filter(user_id=term)
            if len(term) >= 3:
                results |= queryset.filter(user_id__in=_user_ids_with_email_containing(term))
        return results, may_have_duplicates

    @admin.action(description="Cancel selected pending emails", permissions=["change"])
    def cancel_selected(self, request: HttpRequest, queryset: QuerySet[EmailQueue]) -> None:
        who = getattr(request.user, "email", "an operator")
        count = email_queue_cancel(queue_ids=queryset.values_list("pk", flat=True), reason=f"cancelled by {who}")
        self.message_user(request, f"Cancelled {count} pending email(s).", messages.SUCCESS)

    @admin.action(description="Send selected pending emails now (guards still apply)", permissions=["change"])
    def send_selected_now(self, request: HttpRequest, queryset: QuerySet[EmailQueue]) -> None:
        count = email_queue_send_now(queue_ids=queryset.values_list("pk", flat=True))
        self.message_user(request, f"Dispatched {count} pending email(s) for sending now.", messages.SUCCESS)

    @admin.action(description="Retry selected failed or cancelled emails", permissions=["change"])
    def retry_selected(self, request: HttpRequest, queryset: QuerySet[EmailQueue]) -> None:
        count = email_queue_retry(queue_ids=queryset.values_list("pk", flat=True))
        self.message_user(request, f"Re-queued {count} email(s) with a fresh attempt budget.", messages.SUCCESS)

    # --- Template preview (every template, rendered with sample data) ---------------------------

    def get_urls(self) -> list[Any]:
        preview = [
            path("preview/", self.admin_site.admin_view(self.preview_index), name="emails_preview_index"),
            path("preview/<str:template>/", self.admin_site.admin_view(self.preview_template), name="emails_preview"),
        ]
        return preview + super().get_urls()

    def _preview_context(self, request: HttpRequest) -> dict[str, Any]:
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "templates": [
                {"value": t.value, "label": t.label, "marketing": t in MARKETING_TEMPLATES} for t in EmailTemplate
            ],
        }

    def preview_index(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise Http404
        return TemplateResponse(
            request, "emails/admin/preview.html", {**self._preview_context(request), "title": "Email templates"}
        )

    def preview_template(self, request: HttpRequest, template: str) -> HttpResponse:
        if not self.has_view_permission(request) or template not in EmailTemplate.values:
            raise Http404
        # Rendered for the signed-in admin (real course links) with the sample `data` a trigger would store.
        rendered = email_render(
            template=template,
            user=request.user,  # type: ignore[arg-type]  # admin_view: signed-in staff
            data=SAMPLE_DATA[template],
            message_key="preview",
        )
        context = {
            **self._preview_context(request),
            "title": f"Preview: {EmailTemplate(template).label}",
            "current": template,
            "rendered": rendered,
            "index_url": reverse("admin:emails_preview_index"),
        }
        return TemplateResponse(request, "emails/admin/preview.html", context)


@admin.register(EmailLog)
class EmailLogAdmin(ReadOnlyAdmin):
    list_display = ("template", "to", "subject", "status", "error", "sent_at")
    list_filter = ("status", "template", "sent_at")
    search_fields = ("to", "subject", "=user__id", "=queue_item__id")
    search_help_text = "The recipient's address (or part of it), a subject, a user id or a queue row id."
    date_hierarchy = "sent_at"
    list_select_related = False
    show_full_result_count = False
    readonly_fields = ("id", "user", "template", "to", "subject", "status", "error", "queue_item", "sent_at")
    raw_id_fields = ("user", "queue_item")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(EmailSuppression)
class EmailSuppressionAdmin(admin.ModelAdmin):
    """Add an address by hand (reason MANUAL) or remove one to let mail flow to it again."""

    list_display = ("email", "reason", "detail", "created_at")
    list_filter = ("reason",)
    search_fields = ("email",)
    fields = ("email", "reason", "detail", "created_at")
    readonly_fields = ("created_at",)

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        return {"reason": "MANUAL", **super().get_changeform_initial_data(request)}
