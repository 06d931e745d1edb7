"""Reads of teams: the seat rule `has_access` consults, invitations by token, and the team page."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from django.conf import settings
from django.core import signing
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Q
from django.utils import timezone

from billing.models import ACCESS_STATUSES
from config.site import absolute
from teams.models import InvitationStatus, Team, TeamInvitation, TeamMembership, TeamRole

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser
    from django.db.models import QuerySet

    from accounts.models import User
    from billing.models import Subscription

TOKEN_SALT = "teams.invitation"
SEAT_CACHE = "team_seat_grants_access_cached"  # set by has_access, or prefetched by the email drain


def team_seat_grants_access(user: User | AnonymousUser) -> bool:
    """DESIGN.md §12: a seat in a team whose subscription is ACTIVE, TRIALING or PAST_DUE and not paused. One query,
    remembered on the user instance for the rest of the request (a lesson page asks several times)."""
    if not user.is_authenticated:
        return False
    cached = getattr(user, SEAT_CACHE, None)
    if cached is None:
        now = timezone.now()
        # Not while the team's subscription is paused (the same rule as `Subscription.is_paused_at`).
        paused = Q(team__subscription__pause_resumes_at__gt=now) & (
            Q(team__subscription__pause_starts_at__isnull=True) | Q(team__subscription__pause_starts_at__lte=now)
        )
        cached = (
            TeamMembership.objects.filter(user_id=user.pk, team__subscription__status__in=list(ACCESS_STATUSES))
            .exclude(paused)
            .exists()
        )
        setattr(user, SEAT_CACHE, cached)
    return bool(cached)


def membership_for(user: User | AnonymousUser) -> TeamMembership | None:
    """The learner's seat with its team and the team's subscription (one query), or None."""
    if not user.is_authenticated:
        return None
    return (
        TeamMembership.objects.select_related("team", "team__subscription", "team__billing_contact")
        .filter(user_id=user.pk)
        .first()
    )


def team_subscription(team: Team) -> Subscription | None:
    try:
        return team.subscription
    except ObjectDoesNotExist:
        return None


def seats_in_use(*, team: Team) -> int:
    """Members (admins included) plus open invitations, each of which reserves a seat."""
    members = TeamMembership.objects.filter(team=team).count()
    pending = TeamInvitation.objects.filter(
        team=team, status=InvitationStatus.PENDING, expires_at__gt=timezone.now()
    ).count()
    return members + pending


def admin_count(*, team: Team) -> int:
    return TeamMembership.objects.filter(team=team, role=TeamRole.ADMIN).count()


# --- invitation tokens --------------------------------------------------------------------------


def invitation_token(invitation: TeamInvitation) -> str:
    return signing.dumps({"i": invitation.pk, "n": invitation.nonce}, salt=TOKEN_SALT, compress=True)


def invitation_accept_url(invitation: TeamInvitation) -> str:
    return absolute(f"/team/invitations/{invitation_token(invitation)}/")


class InvitationProblem(Exception):
    """Why an invitation link cannot be used; `title` and the message are shown to the visitor."""

    def __init__(self, title: str, message: str) -> None:
        super().__init__(message)
        self.title = title


def invitation_from_token(token: str) -> TeamInvitation:
    """The invitation behind a link, still usable. Raises InvitationProblem with what to tell the visitor:
    forged or mangled, replaced by a newer link, revoked, used, or expired."""
    if len(token) > 500 or "\x00" in token:
        raise InvitationProblem("This link isn't valid", "The invitation link is damaged or was not issued by us.")
    try:
        payload = signing.loads(token, salt=TOKEN_SALT)
        invitation_id, nonce = str(payload["i"]), str(payload["n"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise InvitationProblem(
            "This link isn't valid", "The invitation link is damaged or was not issued by us."
        ) from exc
    invitation = TeamInvitation.objects.select_related("team", "invited_by").filter(pk=invitation_id).first()
    if invitation is None:
        raise InvitationProblem("This invitation no longer exists", "Ask your team admin to invite you again.")
    if invitation.status == InvitationStatus.REVOKED:
        raise InvitationProblem("This invitation was withdrawn", "Ask your team admin if you still need a seat.")
    if invitation.status == InvitationStatus.ACCEPTED:
        raise InvitationProblem(
            "This invitation has already been used", "Each invitation link works once. Sign in to reach the course."
        )
    if nonce != invitation.nonce:
        raise InvitationProblem(
            "This link has been replaced", "A newer invitation email was sent to you; please use the link in it."
        )
    if invitation.is_expired:
        raise InvitationProblem("This invitation has expired", "Ask your team admin to send it again.")
    return invitation


def invitation_is_open(*, invitation_id: str) -> bool:
    invitation = TeamInvitation.objects.filter(pk=invitation_id).first()
    return invitation is not None and invitation.is_open


def invitation_email_context(*, invitation_id: str, inviter: User) -> dict[str, Any]:
    """The TEAM_INVITE email's context; the link is signed at render time (never stored in the queue)."""
    invitation = TeamInvitation.objects.select_related("team").filter(pk=invitation_id).first()
    if invitation is None:  # the admin preview's sample row
        return {
            "team_name": "Acme Engineering",
            "inviter_name": inviter.display_name,
            "accept_url": absolute("/team/invitations/sample/"),
            "expires_at": timezone.now() + timedelta(days=settings.TEAM_INVITATION_DAYS),
        }
    return {
        "team_name": invitation.team.name,
        "inviter_name": inviter.display_name,
        "accept_url": invitation_accept_url(invitation),
        "expires_at": invitation.expires_at,
    }


# --- the team page ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModuleBar:
    title: str
    done: int
    total: int

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


@dataclass(frozen=True)
class MemberRow:
    membership_id: str
    user_id: str
    name: str
    email: str
    role: str
    joined_at: datetime
    percent: int
    last_active: datetime | None
    modules: list[ModuleBar] = field(default_factory=list)

    @property
    def is_admin(self) -> bool:
        return self.role == TeamRole.ADMIN


class ModuleTotals(Protocol):
    @property
    def module_id(self) -> str: ...
    @property
    def module_title(self) -> str: ...
    @property
    def total_lessons(self) -> int: ...


class MembersProgress(Protocol):
    """The shape of `progress.selectors.LearnersProgress`, which this module may not import (reads flow
    progress → courses → billing → teams)."""

    @property
    def modules(self) -> Sequence[ModuleTotals]: ...
    @property
    def completed(self) -> Mapping[str, Mapping[str, int]]: ...
    @property
    def last_active(self) -> Mapping[str, Any]: ...
    def percent(self, user_id: str) -> int: ...


@dataclass(frozen=True)
class TeamPage:
    team: Team
    subscription: Subscription | None
    members: list[MemberRow]
    invitations: list[TeamInvitation]
    seats_paid: int
    seats_used: int
    admins: int

    @property
    def seats_free(self) -> int:
        return max(self.seats_paid - self.seats_used, 0)


def team_member_ids(team: Team) -> QuerySet[TeamMembership, Any]:
    """The team's user ids as a subquery (for `progress.selectors.learners_progress`)."""
    return TeamMembership.objects.filter(team=team).values("user_id")


def team_page(*, team: Team, progress: MembersProgress) -> TeamPage:
    """Everything /team/ and its CSV show, in a constant number of queries (pinned in tests from 2 to
    500 members): the members with their users, the open invitations, and `progress` — the view reads it
    with `progress.selectors.learners_progress(user_ids=team_member_ids(team))` (three queries): reads flow
    progress → courses → billing → teams, so this module cannot import progress itself."""
    subscription = team_subscription(team)
    memberships = list(TeamMembership.objects.filter(team=team).select_related("user").order_by("created_at"))
    invitations = list(
        TeamInvitation.objects.filter(team=team, status=InvitationStatus.PENDING, expires_at__gt=timezone.now())
        .select_related("invited_by")
        .order_by("-created_at")
    )
    members = []
    for m in memberships:
        done = progress.completed.get(m.user_id, {})
        last = progress.last_active.get(m.user_id)
        members.append(
            MemberRow(
                membership_id=m.pk,
                user_id=m.user_id,
                name=m.user.display_name,
                email=m.user.email,
                role=m.role,
                joined_at=m.created_at,
                percent=progress.percent(m.user_id),
                last_active=max(filter(None, [last, m.user.last_login]), default=None),
                modules=[
                    ModuleBar(mod.module_title, done.get(mod.module_id, 0), mod.total_lessons)
                    for mod in progress.modules
                ],
            )
        )
    return TeamPage(
        team=team,
        subscription=subscription,
        members=members,
        invitations=invitations,
        seats_paid=subscription.quantity if subscription is not None and subscription.grants_access else 0,
        seats_used=len(memberships) + len(invitations),
        admins=sum(1 for m in memberships if m.role == TeamRole.ADMIN),
    )


def user_team_export(*, user: User) -> dict[str, Any] | None:
    """The learner's team rows for "download my data": their seat, and invitations they sent or received."""
    membership = membership_for(user)
    sent = TeamInvitation.objects.filter(invited_by=user).order_by("created_at")
    received = TeamInvitation.objects.filter(email=user.email.lower()).select_related("team").order_by("created_at")
    if membership is None and not sent.exists() and not received.exists():
        return None

    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "membership": (
            {"team": membership.team.name, "role": membership.role, "joined_at": iso(membership.created_at)}
            if membership
            else None
        ),
        "invitations_sent": [
            {"email": i.email, "status": i.status, "created_at": iso(i.created_at), "expires_at": iso(i.expires_at)}
            for i in sent
        ],
        "invitations_received": [
            {"team": i.team.name, "status": i.status, "created_at": iso(i.created_at)} for i in received
        ],
    }
