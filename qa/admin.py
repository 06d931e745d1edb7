"""Moderating lesson Q&A in the admin: hide / show, pin / unpin, delete. Every action is written to
Django's admin log (LogEntry): who, when, what."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from qa.models import Post
from qa.services import posts_moderate


class KindFilter(admin.SimpleListFilter):
    title = "kind"
    parameter_name = "kind"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("open", "Open questions"), ("questions", "All questions"), ("answers", "Answers")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Post]) -> QuerySet[Post]:
        if self.value() == "open":
            return queryset.filter(question__isnull=True, is_answered=False, is_hidden=False)
        if self.value() == "questions":
            return queryset.filter(question__isnull=True)
        if self.value() == "answers":
            return queryset.filter(question__isnull=False)
        return queryset


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ["__str__", "lesson", "author", "by_staff", "is_answered", "is_pinned", "is_hidden", "created_at"]
    list_filter = [KindFilter, "is_hidden", "is_pinned", "by_staff"]
    search_fields = ["body", "author__email", "lesson__title"]
    list_select_related = ["lesson", "author"]
    readonly_fields = ["lesson", "author", "question", "body", "by_staff", "created_at", "edited_at", "is_answered"]
    fields = [
        "lesson",
        "question",
        "author",
        "by_staff",
        "body",
        "is_answered",
        "is_pinned",
        "is_hidden",
        "created_at",
        "edited_at",
    ]
    actions = ["hide", "unhide", "pin", "unpin"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # posts are written on the lesson page, by their authors

    def _moderate(self, request: HttpRequest, queryset: QuerySet[Post], message: str, **change: bool) -> None:
        changed = posts_moderate(post_ids=queryset.values_list("pk", flat=True), **change)
        for post in changed:
            self.log_change(request, post, message)
        self.message_user(request, f"{message.rstrip('.')}: {len(changed)} post(s).", messages.SUCCESS)

    @admin.action(description="Hide selected posts", permissions=["change"])
    def hide(self, request: HttpRequest, queryset: QuerySet[Post]) -> None:
        self._moderate(request, queryset, "Hidden.", hidden=True)

    @admin.action(description="Show selected posts again", permissions=["change"])
    def unhide(self, request: HttpRequest, queryset: QuerySet[Post]) -> None:
        self._moderate(request, queryset, "Shown again.", hidden=False)

    @admin.action(description="Pin selected questions", permissions=["change"])
    def pin(self, request: HttpRequest, queryset: QuerySet[Post]) -> None:
        self._moderate(request, queryset.filter(question__isnull=True), "Pinned.", pinned=True)

    @admin.action(description="Unpin selected questions", permissions=["change"])
    def unpin(self, request: HttpRequest, queryset: QuerySet[Post]) -> None:
        self._moderate(request, queryset.filter(question__isnull=True), "Unpinned.", pinned=False)
