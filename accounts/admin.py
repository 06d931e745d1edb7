from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.http import HttpRequest

from accounts.models import User


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "role")


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserEditForm
    add_form = UserCreationForm
    list_display = (
        "email",
        "name",
        "role",
        "onboarding_complete",
        "subscription_status",
        "access_override",
        "created_at",
        "last_login",
    )
    list_filter = ("role", "onboarding_complete", "access_override", "subscription__status", "marketing_opt_out")
    list_select_related = ("subscription",)
    search_fields = ("email", "name", "id")
    ordering = ("-created_at",)
    readonly_fields = ("id", "created_at", "updated_at", "last_login", "email_verified_at")
    filter_horizontal = ("groups", "user_permissions")
    fieldsets = (
        (None, {"fields": ("id", "email", "password")}),
        ("Profile", {"fields": ("name", "image", "email_verified_at", "marketing_opt_out")}),
        ("Onboarding", {"fields": ("onboarding_complete", "user_type", "build_goal", "experience_level")}),
        ("Access", {"fields": ("role", "is_active", "access_override", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("created_at", "updated_at", "last_login")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "role", "password1", "password2")}),)

    @admin.display(description="Subscription", ordering="subscription__status")
    def subscription_status(self, obj: User) -> str:
        subscription = getattr(obj, "subscription", None)
        return subscription.get_status_display() if subscription else "—"

    def get_search_results(self, request: HttpRequest, queryset, search_term: str):  # type: ignore[no-untyped-def]
        return super().get_search_results(request, queryset, search_term.strip().lower())
