from __future__ import annotations

from django.contrib import admin

from teams.models import Team, TeamInvitation, TeamMembership


class TeamMembershipInline(admin.TabularInline):
    model = TeamMembership
    extra = 0
    raw_id_fields = ("user",)
    fields = ("user", "role", "created_at")
    readonly_fields = ("created_at",)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "billing_contact", "seats", "status", "created_at")
    search_fields = ("name", "billing_contact__email")
    raw_id_fields = ("billing_contact",)
    list_select_related = ("billing_contact", "subscription")
    inlines = [TeamMembershipInline]
    readonly_fields = ("created_at", "updated_at")

    @admin.display(description="Seats paid")
    def seats(self, team: Team) -> int | str:
        subscription = getattr(team, "subscription", None)
        return subscription.quantity if subscription is not None else "—"

    @admin.display(description="Subscription")
    def status(self, team: Team) -> str:
        subscription = getattr(team, "subscription", None)
        return subscription.get_status_display() if subscription is not None else "none yet"


@admin.register(TeamMembership)
class TeamMembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "team", "role", "created_at")
    list_filter = ("role",)
    search_fields = ("user__email", "team__name")
    raw_id_fields = ("user", "team")
    list_select_related = ("user", "team")


@admin.register(TeamInvitation)
class TeamInvitationAdmin(admin.ModelAdmin):
    list_display = ("email", "team", "status", "expires_at", "sent_count", "invited_by", "created_at")
    list_filter = ("status",)
    search_fields = ("email", "team__name")
    raw_id_fields = ("team", "invited_by", "accepted_by")
    list_select_related = ("team", "invited_by")
    # The nonce is what makes a link valid: never shown, never edited by hand.
    exclude = ("nonce",)
    readonly_fields = ("accepted_by", "accepted_at", "sent_count", "created_at", "updated_at")
