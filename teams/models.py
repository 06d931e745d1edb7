"""Teams (issue 17): a company buys seats; its admins invite members, who learn on the team's subscription.

The team's subscription is a `billing.Subscription` row owned by the team (`Subscription.team`), synced by
billing's one convergent `subscription_sync`; its `quantity` is the number of paid seats. Every membership,
admins included, takes a seat; a pending invitation reserves one until it is accepted, revoked or expires.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from config.ids import new_id


class Team(models.Model):
    id = models.CharField(primary_key=True, max_length=32, default=new_id, editable=False)
    name = models.CharField(max_length=100)
    # Who receives the team's billing mail (renewal notice, failed payments): the admin who bought it,
    # or another admin when that one leaves.
    billing_contact = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TeamRole(models.TextChoices):
    ADMIN = "ADMIN", "Admin"
    MEMBER = "MEMBER", "Member"


class TeamMembership(models.Model):
    """A seat. One team per learner (a OneToOne), so access and the team page have one answer."""

    id = models.CharField(primary_key=True, max_length=32, default=new_id, editable=False)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="team_membership")
    role = models.CharField(max_length=16, choices=TeamRole.choices, default=TeamRole.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["team", "role"], name="teammembership_team_role")]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.team_id} ({self.role})"

    @property
    def is_admin(self) -> bool:
        return self.role == TeamRole.ADMIN


class InvitationStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"
    ACCEPTED = "ACCEPTED", "Accepted"
    REVOKED = "REVOKED", "Revoked"


class TeamInvitation(models.Model):
    """An invitation to one address. The link carries `signing.dumps({id, nonce})`: forging needs the
    secret key; a resend rotates `nonce` so only the newest link works; it is single-use by `status`
    and expires at `expires_at` (kept in the row, so a resend can extend it)."""

    id = models.CharField(primary_key=True, max_length=32, default=new_id, editable=False)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(help_text="Lower-cased.")
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=16, choices=InvitationStatus.choices, default=InvitationStatus.PENDING)
    nonce = models.CharField(max_length=32, default=new_id)
    expires_at = models.DateTimeField()
    sent_count = models.PositiveIntegerField(default=1)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # One live invitation per address and team: inviting again is a resend.
            models.UniqueConstraint(
                fields=["team", "email"], condition=Q(status="PENDING"), name="teaminvitation_one_pending"
            )
        ]
        indexes = [models.Index(fields=["team", "status"], name="teaminvitation_team_status")]

    def __str__(self) -> str:
        return f"{self.email} → {self.team_id} ({self.status})"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def is_open(self) -> bool:
        """Pending and not expired: it reserves a seat and its link works."""
        return self.status == InvitationStatus.PENDING and not self.is_expired
