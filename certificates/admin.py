"""Certificates in the admin: look one up, revoke it. Revoking is written to the admin log (LogEntry)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from certificates.models import Certificate
from certificates.services import certificate_revoke


@admin.register(Certificate)
class CertificateAdmin(admin.ModelAdmin):
    list_display = ["pk", "name", "course_title", "issued_at", "is_public", "revoked_at"]
    list_filter = ["is_public", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["pk", "name", "user__email"]
    readonly_fields = ["id", "user", "name", "course_title", "lessons_completed", "issued_at", "is_public"]
    fields = [*readonly_fields, "revoked_at", "revoked_reason"]
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # issued by completing the course, never typed in

    def has_change_permission(self, request: HttpRequest, obj: Certificate | None = None) -> bool:
        # Only revocation changes a certificate, through the action (audited).
        return False if obj is not None else super().has_change_permission(request, obj)

    @admin.action(description="Revoke selected certificates", permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[Certificate]) -> None:
        revoked = 0
        for certificate in queryset:
            if certificate_revoke(certificate=certificate, reason=f"Revoked by {request.user}"):
                self.log_change(request, certificate, "Revoked.")
                revoked += 1
        self.message_user(request, f"Revoked {revoked} certificate(s).", messages.SUCCESS)
