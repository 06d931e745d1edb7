"""Writes of teams: buying seats, invitations, membership changes, seat changes.

Seat accounting is serialised per team by locking the team row (`SELECT … FOR UPDATE`), so two admins
inviting or accepting at once can never use more seats than are paid for, and two admins removing the
same member at once remove one membership and raise nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.models import User as UserModel
from billing import seats as billing_seats
from billing.models import SubscriptionPlan
from billing.seats import team_checkout_start as checkout
from billing.selectors import subscription_for
from billing.services import subscription_cancel_immediately
from config.ids import new_id
from config.services import model_update
from emails.triggers import team_invite_email_queue
from teams.models import InvitationStatus, Team, TeamInvitation, TeamMembership, TeamRole
from teams.selectors import InvitationProblem, admin_count, invitation_from_token, seats_in_use, team_subscription

if TYPE_CHECKING:
    from accounts.models import User
    from billing.seats import InvoicePreview

logger = logging.getLogger(__name__)

MAX_INVITES_PER_REQUEST = 50


class TeamError(Exception):
    """A refused team action; the message is shown to the admin as is."""


class NotTeamAdmin(TeamError):
    pass


class SeatsExhausted(TeamError):
    def __init__(self, message: str, *, needed: int) -> None:
        super().__init__(message)
        self.needed = needed


def _clean_name(name: str) -> str:
    name = " ".join((name or "").replace("\x00", "").split())
    if not name:
        raise TeamError("Give your team a name.")
    if len(name) > 100:
        raise TeamError("A team name has at most 100 characters.")
    return name


def _clean_seats(seats: object) -> int:
    try:
        value = int(str(seats).strip())
    except (TypeError, ValueError):
        raise TeamError("The number of seats must be a whole number.") from None
    if value < settings.TEAM_MIN_SEATS:
        raise TeamError(f"A team plan has at least {settings.TEAM_MIN_SEATS} seats.")
    if value > settings.TEAM_MAX_SEATS:
        raise TeamError(f"Online checkout goes up to {settings.TEAM_MAX_SEATS} seats; contact us for more.")
    return value


def _admin_membership(*, team: Team, user: User) -> TeamMembership:
    membership = TeamMembership.objects.filter(team=team, user_id=user.pk, role=TeamRole.ADMIN).first()
    if membership is None:
        raise NotTeamAdmin("Only the team's admins can do that.")
    return membership


def _lock_team(team: Team) -> Team:
    return Team.objects.select_for_update().get(pk=team.pk)


# --- buying ---------------------------------------------------------------------------------------


def team_checkout_start(
    *, user: User, name: str, plan: SubscriptionPlan, seats: object, success_url: str, cancel_url: str
) -> str:
    """Create the team (its buyer its first admin and billing contact) and open Checkout for its seats.

    A learner already in a team can only buy for that team, as one of its admins, while it has no live
    subscription (a retried purchase reuses the team). Raises TeamError, StripeUnavailable."""
    name = _clean_name(name)
    count = _clean_seats(seats)
    with transaction.atomic():
        membership = TeamMembership.objects.select_related("team").filter(user_id=user.pk).first()
        if membership is not None:
            if not membership.is_admin:
                raise TeamError("You are already a member of a team; leave it before buying seats for another.")
            team = _lock_team(membership.team)
            subscription = team_subscription(team)
            if subscription is not None and subscription.grants_access:
                raise TeamError("Your team already has a subscription; change its seats on the team page.")
            model_update(instance=team, data={"name": name, "billing_contact": user})
        else:
            team = Team.objects.create(name=name, billing_contact=user)
            TeamMembership.objects.create(team=team, user=user, role=TeamRole.ADMIN)
        subscription = team_subscription(team)
        customer_id = subscription.stripe_customer_id if subscription is not None else None
    return checkout(
        team_id=team.pk,
        user=user,
        plan=plan,
        seats=count,
        customer_id=customer_id,
        success_url=success_url,
        cancel_url=cancel_url,
    )


# --- invitations ----------------------------------------------------------------------------------


def _clean_emails(raw: str) -> list[str]:
    if "\x00" in raw or len(raw) > 20_000:
        raise TeamError("That list of addresses could not be read.")
    emails: list[str] = []
    for part in raw.replace(";", ",").replace("\n", ",").split(","):
        email = part.strip().lower()
        if not email:
            continue
        try:
            validate_email(email)
        except ValidationError:
            raise TeamError(f"“{email[:100]}” is not an email address.") from None
        if email not in emails:
            emails.append(email)
    if not emails:
        raise TeamError("Enter at least one email address.")
    if len(emails) > MAX_INVITES_PER_REQUEST:
        raise TeamError(f"Invite at most {MAX_INVITES_PER_REQUEST} people at a time.")
    return emails


def invitations_create(*, team: Team, by: User, emails: str) -> list[TeamInvitation]:
    """Invite each address (comma, semicolon or line separated) and queue its TEAM_INVITE email.

    All or nothing: an address already on the team, or more addresses than free seats, refuses the whole
    list with the reason (SeatsExhausted carries how many more seats are needed). An address with an open
    invitation is sent it again. Raises TeamError, NotTeamAdmin."""
    addresses = _clean_emails(emails)
    with transaction.atomic():
        team = _lock_team(team)
        _admin_membership(team=team, user=by)
        subscription = team_subscription(team)
        if subscription is None or not subscription.grants_access:
            raise TeamError("The team's subscription isn't active, so nobody can be invited right now.")
        members = set(
            UserModel.objects.filter(team_membership__team=team)
            .annotate(address=Lower("email"))
            .filter(address__in=addresses)
            .values_list("address", flat=True)
        )
        taken = [a for a in addresses if a in members]
        if taken:
            raise TeamError(f"Already on the team: {', '.join(taken)}.")
        open_invites = {
            i.email: i
            for i in TeamInvitation.objects.filter(team=team, email__in=addresses, status=InvitationStatus.PENDING)
        }
        # Addresses needing a seat: new ones, and expired invitations (which hold none any more).
        new = [a for a in addresses if a not in open_invites or open_invites[a].is_expired]
        used = seats_in_use(team=team)
        free = subscription.quantity - used
        if len(new) > free:
            needed = len(new) - max(free, 0)
            raise SeatsExhausted(
                f"{used} of {subscription.quantity} seats are in use; inviting {len(new)} more needs "
                f"{needed} more seat{'s' if needed != 1 else ''}.",
                needed=needed,
            )
        expires = timezone.now() + timedelta(days=settings.TEAM_INVITATION_DAYS)
        result = []
        for address in addresses:
            invitation = open_invites.get(address)
            if invitation is not None:
                result.append(_resend(invitation=invitation, by=by))
                continue
            invitation = TeamInvitation.objects.create(team=team, email=address, invited_by=by, expires_at=expires)
            team_invite_email_queue(invited_by=by, invitation_id=invitation.pk, to=address, sent_count=1)
            result.append(invitation)
    return result


MAX_SENDS = 5  # an invitation is an email to someone who has not agreed to anything: never a spam cannon


def _resend(*, invitation: TeamInvitation, by: User) -> TeamInvitation:
    if invitation.sent_count >= MAX_SENDS:
        raise TeamError(f"The invitation to {invitation.email} was sent {MAX_SENDS} times already.")
    # A new nonce: only the newest email's link works. A fresh expiry: the admin just vouched again.
    model_update(
        instance=invitation,
        data={
            "nonce": new_id(),
            "sent_count": invitation.sent_count + 1,
            "expires_at": timezone.now() + timedelta(days=settings.TEAM_INVITATION_DAYS),
            "invited_by": by,
        },
    )
    team_invite_email_queue(
        invited_by=by, invitation_id=invitation.pk, to=invitation.email, sent_count=invitation.sent_count
    )
    return invitation


def invitation_resend(*, team: Team, by: User, invitation_id: str) -> TeamInvitation:
    """Send a pending invitation again (expired ones too, if a seat is free). Raises TeamError, NotTeamAdmin."""
    with transaction.atomic():
        team = _lock_team(team)
        _admin_membership(team=team, user=by)
        invitation = (
            TeamInvitation.objects.select_for_update()
            .filter(pk=invitation_id, team=team, status=InvitationStatus.PENDING)
            .first()
        )
        if invitation is None:
            raise TeamError("That invitation is no longer pending.")
        subscription = team_subscription(team)
        if invitation.is_expired and (subscription is None or seats_in_use(team=team) >= subscription.quantity):
            raise SeatsExhausted("Every seat is in use; buy more seats to invite again.", needed=1)
        return _resend(invitation=invitation, by=by)


def invitation_revoke(*, team: Team, by: User, invitation_id: str) -> bool:
    """Withdraw a pending invitation: its link stops working and its seat is free at once. Idempotent."""
    with transaction.atomic():
        _admin_membership(team=team, user=by)
        return bool(
            TeamInvitation.objects.filter(pk=invitation_id, team=team, status=InvitationStatus.PENDING).update(
                status=InvitationStatus.REVOKED, updated_at=timezone.now()
            )
        )


@dataclass(frozen=True)
class Joined:
    membership: TeamMembership
    own_subscription_active: bool  # the learner still pays for their own subscription (told on the page)


def invitation_accept(*, token: str, user: User) -> Joined:
    """Join the team with the invitation behind `token`. Single use: the invitation row is locked and
    marked ACCEPTED in the same transaction as the membership. Raises InvitationProblem."""
    invitation = invitation_from_token(token)
    if invitation.email != user.email.lower():
        raise InvitationProblem(
            "This invitation is for another address",
            f"It was sent to {invitation.email}, but you are signed in as {user.email}. "
            "Sign in with the invited address, or ask your admin to invite this one.",
        )
    try:
        with transaction.atomic():
            team = _lock_team(invitation.team)
            subscription = team_subscription(team)
            if subscription is None or not subscription.grants_access:
                raise InvitationProblem(
                    "This team's subscription isn't active",
                    "A seat would give you no access right now. "
                    "Ask your team admin to renew, then open this link again.",
                )
            locked = TeamInvitation.objects.select_for_update().get(pk=invitation.pk)
            if locked.status != InvitationStatus.PENDING or locked.nonce != invitation.nonce or locked.is_expired:
                raise InvitationProblem("This invitation has already been used", "Each invitation link works once.")
            existing = TeamMembership.objects.filter(user_id=user.pk).select_related("team").first()
            if existing is not None:
                raise InvitationProblem(
                    "You are already on a team",
                    f"You have a seat in {existing.team.name}. Leave it from the team page first.",
                )
            membership = TeamMembership.objects.create(team=locked.team, user=user, role=TeamRole.MEMBER)
            model_update(
                instance=locked,
                data={"status": InvitationStatus.ACCEPTED, "accepted_by": user, "accepted_at": timezone.now()},
            )
    except IntegrityError:  # a parallel accept by the same learner won the OneToOne
        raise InvitationProblem("You are already on a team", "Your seat is ready: open the course.") from None
    own = subscription_for(user)
    return Joined(membership=membership, own_subscription_active=own is not None and own.grants_access)


# --- members --------------------------------------------------------------------------------------


def member_remove(*, team: Team, by: User, membership_id: str) -> bool:
    """Remove a member; their seat is free and their access ends on their next request. Two admins
    removing the same member at once: one deletes, the other finds nothing and returns False, no error.
    The last admin cannot be removed. Raises TeamError, NotTeamAdmin."""
    with transaction.atomic():
        team = _lock_team(team)
        _admin_membership(team=team, user=by)
        target = TeamMembership.objects.filter(pk=membership_id, team=team).first()
        if target is None:
            return False
        if target.is_admin and admin_count(team=team) <= 1:
            raise TeamError("The team's last admin can't be removed; make someone else an admin first.")
        deleted, _ = TeamMembership.objects.filter(pk=target.pk).delete()
        if target.user_id == team.billing_contact_id:
            _billing_contact_reassign(team=team)
        return bool(deleted)


def member_role_set(*, team: Team, by: User, membership_id: str, role: str) -> TeamMembership:
    """Make a member an admin, or an admin a member (never the last admin). Raises TeamError, NotTeamAdmin."""
    if role not in TeamRole.values:
        raise TeamError("Choose admin or member.")
    with transaction.atomic():
        team = _lock_team(team)
        _admin_membership(team=team, user=by)
        target = TeamMembership.objects.filter(pk=membership_id, team=team).first()
        if target is None:
            raise TeamError("That person is no longer on the team.")
        if target.is_admin and role == TeamRole.MEMBER and admin_count(team=team) <= 1:
            raise TeamError("The team needs at least one admin; make someone else an admin first.")
        model_update(instance=target, data={"role": role})
        if role == TeamRole.MEMBER and target.user_id == team.billing_contact_id:
            _billing_contact_reassign(team=team)
        return target


def _billing_contact_reassign(*, team: Team) -> None:
    admin = TeamMembership.objects.filter(team=team, role=TeamRole.ADMIN).order_by("created_at").first()
    team.billing_contact_id = admin.user_id if admin else None
    team.save(update_fields=["billing_contact", "updated_at"])


def member_leave(*, user: User, successor_id: str | None = None) -> bool:
    """Leave the team (the team and its data stay). The last admin names a successor among the members,
    who becomes admin; alone on the team, they cannot leave it (cancel the subscription instead).
    Returns False when the learner had no seat. Raises TeamError."""
    with transaction.atomic():
        membership = TeamMembership.objects.select_related("team").filter(user_id=user.pk).first()
        if membership is None:
            return False
        team = _lock_team(membership.team)
        membership = TeamMembership.objects.filter(pk=membership.pk).first()
        if membership is None:
            return False
        if membership.is_admin and admin_count(team=team) <= 1:
            others = TeamMembership.objects.filter(team=team).exclude(pk=membership.pk)
            if not others.exists():
                raise TeamError(
                    "You are the team's only member. Cancel the team's subscription in the billing portal instead."
                )
            successor = others.filter(pk=successor_id or "").first()
            if successor is None:
                raise TeamError("You are the team's last admin: name another member as admin before you leave.")
            model_update(instance=successor, data={"role": TeamRole.ADMIN})
        membership.delete()
        if team.billing_contact_id == user.pk:
            _billing_contact_reassign(team=team)
        return True


def member_leave_for_deletion(*, user: User) -> None:
    """Account deletion's part: give up the seat. The team's only member leaves an empty team whose
    subscription is cancelled at Stripe first (nobody is left to use or manage it; StripeUnavailable
    aborts the deletion, like the learner's own subscription). Call after `team_leave_blocker`."""
    membership = TeamMembership.objects.select_related("team").filter(user_id=user.pk).first()
    if membership is None:
        return
    alone = not TeamMembership.objects.filter(team=membership.team).exclude(pk=membership.pk).exists()
    if not alone:
        member_leave(user=user)
        return
    subscription = team_subscription(membership.team)
    if subscription is not None:
        subscription_cancel_immediately(subscription=subscription)
    membership.delete()
    TeamInvitation.objects.filter(team=membership.team, status=InvitationStatus.PENDING).update(
        status=InvitationStatus.REVOKED, updated_at=timezone.now()
    )
    _billing_contact_reassign(team=membership.team)


def team_leave_blocker(*, user: User) -> str | None:
    """Why deleting this account must wait (the last admin of a team with other members), or None."""
    membership = TeamMembership.objects.select_related("team").filter(user_id=user.pk, role=TeamRole.ADMIN).first()
    if membership is None or admin_count(team=membership.team) > 1:
        return None
    if TeamMembership.objects.filter(team=membership.team).exclude(pk=membership.pk).exists():
        return (
            f"You are the last admin of {membership.team.name}. Make another member an admin on the team page "
            "before deleting your account."
        )
    return None


# --- seats ----------------------------------------------------------------------------------------


def _seat_change_check(*, team: Team, seats: object) -> tuple[int, object]:
    count = _clean_seats(seats)
    subscription = team_subscription(team)
    if subscription is None or not subscription.grants_access:
        raise TeamError("The team has no active subscription to change.")
    used = seats_in_use(team=team)
    if count < used:
        raise TeamError(
            f"{used} seats are in use (members and pending invitations); remove members or revoke invitations "
            f"before going down to {count}."
        )
    if count == subscription.quantity:
        raise TeamError(f"The team already has {count} seats.")
    return count, subscription


def seats_preview(*, team: Team, by: User, seats: object) -> tuple[int, InvoicePreview]:
    """The prorated amount Stripe would charge now for `seats` seats. Raises TeamError, StripeUnavailable."""
    _admin_membership(team=team, user=by)
    count, subscription = _seat_change_check(team=team, seats=seats)
    return count, billing_seats.seats_preview(subscription=subscription, seats=count)  # type: ignore[arg-type]


def seats_change(*, team: Team, by: User, seats: object, proration_date: object) -> int:
    """Change the paid seats at the previewed proration date. Raises TeamError, StripeUnavailable."""
    try:
        when = int(str(proration_date))
    except (TypeError, ValueError):
        raise TeamError("The price preview expired; look at the new price again.") from None
    now = int(timezone.now().timestamp())
    if not now - 3600 <= when <= now + 60:
        raise TeamError("The price preview expired; look at the new price again.")
    with transaction.atomic():
        team = _lock_team(team)
        _admin_membership(team=team, user=by)
        count, subscription = _seat_change_check(team=team, seats=seats)
    row = billing_seats.seats_update(subscription=subscription, seats=count, proration_date=when)  # type: ignore[arg-type]
    return row.quantity
