from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from pages.models import FaqItem, SiteContent, Testimonial
from pages.services import site_content_cache_clear


class TestimonialInline(admin.TabularInline):
    model = Testimonial
    extra = 0
    fields = ("position", "quote", "author", "author_role")


class FaqItemInline(admin.StackedInline):
    model = FaqItem
    extra = 0
    fields = ("position", "question", "answer")


@admin.register(SiteContent)
class SiteContentAdmin(admin.ModelAdmin):
    """The landing page's words: one row, edited in place (no second row, never deleted)."""

    inlines = (TestimonialInline, FaqItemInline)
    fieldsets = (
        ("Hero", {"fields": ("headline", "tagline")}),
        ("About the course", {"fields": ("description", "learn_points")}),
        ("Instructor", {"fields": ("instructor_name", "instructor_role", "instructor_bio")}),
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not SiteContent.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        site_content_cache_clear()
