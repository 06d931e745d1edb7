"""Invitations: seats, the TEAM_INVITE email, and every way a link can be wrong."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail, signing
from django.utils import timezone

from billing.selectors import has_access
from emails.drain import email_queue_drain
from emails.models import EmailLog, EmailQueue, EmailStatus, EmailTemplate
from emails.services import email_suppression_add
from teams.models import InvitationStatus, TeamInvitation, TeamMembership
from teams.selectors import invitation_token
from tests.accounts.factories import UserFactory
from tests.billing.factories import SubscriptionFactory
from tests.teams.factories import InvitationFactory, team_with_seats

pytestmark = pytest.mark.django_db


def _invite(client, data, emails: str, **kwargs):
    client.force_login(data["admin"])
    return client.post("/team/invitations/", {"emails": emails}, **kwargs)


def _link(message) -> str:
    return next(w for w in message.body.split() if "/team/invitations/" in w)


def test_invite_queues_one_transactional_email_with_a_working_link_in_both_parts(
    client, django_capture_on_commit_callbacks
):
    data = team_with_seats(seats=3)
    with django_capture_on_commit_callbacks(execute=False):
        response = _invite(client, data, "New.Hire@Example.com")
    assert response.status_code == 303
    invitation = TeamInvitation.objects.get()
    assert invitation.email == "new.hire@example.com" and invitation.status == InvitationStatus.PENDING
    row = EmailQueue.objects.get(template=EmailTemplate.TEAM_INVITE)
    assert row.user_id == data["admin"].pk and row.data["to"] == "new.hire@example.com"

    email_queue_drain(max_batches=1)
    (message,) = mail.outbox
    assert message.to == ["new.hire@example.com"]
    assert data["team"].name in message.subject
    link = _link(message)
    assert link in message.alternatives[0][0]
    assert "List-Unsubscribe" not in message.extra_headers  # transactional
    assert EmailLog.objects.get().to == "new.hire@example.com"

    # The new hire signs up with the invited address and joins.
    path = link.removeprefix("http://testserver").split("://", 1)[-1]
    path = path[path.index("/team/") :]
    client.logout()
    assert "Create an account" in client.get(path).content.decode()
    hire = UserFactory(email="new.hire@example.com")
    client.force_login(hire)
    assert "Join" in client.get(path).content.decode()
    assert client.post(path).status_code == 303
    assert TeamMembership.objects.get(user=hire).team == data["team"]
    assert has_access(type(hire).objects.get(pk=hire.pk))
    # Single use: the same link again is a clear page and no second membership.
    again = client.post(path)
    assert again.status_code == 410 and "already been used" in again.content.decode()


def test_inviting_beyond_the_paid_seats_offers_to_buy_more_and_invites_nobody(client):
    data = team_with_seats(seats=3, members=2)
    response = _invite(client, data, "a@example.com, b@example.com")
    assert response.status_code == 303 and response["Location"] == "/team/seats/?seats=4"
    assert not TeamInvitation.objects.exists()
    assert "2 of 3 seats are in use; inviting 2 more needs 1 more seat" in str(
        list(client.get("/team/").context["messages"])
    )


def test_bad_addresses_are_refused_with_the_reason(client):
    data = team_with_seats(seats=9)
    for emails, reason in [
        ("not-an-address", "is not an email address"),
        ("", "at least one email"),
        ("a@example.com\x00", "could not be read"),
        (data["admin"].email, "Already on the team"),
        (",".join(f"p{i}@example.com" for i in range(51)), "at most 50"),
    ]:
        response = _invite(client, data, emails, follow=True)
        assert response.status_code == 200 and reason in response.content.decode(), emails
    assert not TeamInvitation.objects.exists()


def _problem(client, token: str, status: int, text: str) -> None:
    response = client.get(f"/team/invitations/{token}/")
    assert response.status_code == status and text in response.content.decode()


def test_expired_revoked_used_replaced_and_forged_links_say_so_and_join_nobody(client):
    data = team_with_seats(seats=9)
    user = UserFactory(email="x@example.com")
    client.force_login(user)

    expired = InvitationFactory(team=data["team"], email="x@example.com", expires_at=timezone.now() + timedelta(days=1))
    token = invitation_token(expired)
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        _problem(client, token, 410, "has expired")
        assert client.post(f"/team/invitations/{token}/").status_code == 410

    expired.status = InvitationStatus.REVOKED
    expired.save()
    _problem(client, token, 410, "was withdrawn")

    used = InvitationFactory(team=data["team"], email="y@example.com", status=InvitationStatus.ACCEPTED)
    _problem(client, invitation_token(used), 410, "already been used")

    replaced = InvitationFactory(team=data["team"], email="x@example.com")
    old = invitation_token(replaced)
    replaced.nonce = "rotated"
    replaced.save()
    _problem(client, old, 410, "has been replaced")

    forged = signing.dumps({"i": replaced.pk, "n": "rotated"}, salt="teams.invitation", key="not-our-secret-key")
    _problem(client, forged, 410, "not issued by us")
    _problem(client, "garbage", 410, "not issued by us")
    _problem(client, "a" * 600, 410, "not issued by us")
    assert not TeamMembership.objects.filter(user=user).exists()


def test_an_invitation_for_another_address_is_refused(client):
    data = team_with_seats(seats=9)
    invitation = InvitationFactory(team=data["team"], email="invited@example.com")
    intruder = UserFactory(email="other@example.com")
    client.force_login(intruder)
    path = f"/team/invitations/{invitation_token(invitation)}/"
    assert "sent to <strong>invited@example.com</strong>" in client.get(path).content.decode()
    response = client.post(path)
    assert response.status_code == 409 and "another address" in response.content.decode()
    assert not TeamMembership.objects.filter(user=intruder).exists()
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING


def test_a_learner_with_their_own_subscription_is_told_it_keeps_running(client):
    data = team_with_seats(seats=9)
    own = SubscriptionFactory(user__email="payer@example.com")
    invitation = InvitationFactory(team=data["team"], email="payer@example.com")
    client.force_login(own.user)
    path = f"/team/invitations/{invitation_token(invitation)}/"
    page = client.get(path).content.decode()
    assert "About your own subscription" in page and "does not cancel it" in page
    response = client.post(path, follow=True)
    assert "Your own subscription keeps running until you cancel it" in response.content.decode()
    own.refresh_from_db()
    assert own.status == "ACTIVE"  # left to the learner, never cancelled behind their back


def test_resend_rotates_the_link_and_revoke_frees_the_seat(client, django_capture_on_commit_callbacks):
    data = team_with_seats(seats=2)
    _invite(client, data, "z@example.com")
    invitation = TeamInvitation.objects.get()
    first = invitation_token(invitation)
    assert client.post(f"/team/invitations/{invitation.pk}/resend/").status_code == 303
    invitation.refresh_from_db()
    assert invitation.sent_count == 2
    assert EmailQueue.objects.filter(template=EmailTemplate.TEAM_INVITE).count() == 2
    _problem(client, first, 410, "has been replaced")

    for _ in range(3):
        client.post(f"/team/invitations/{invitation.pk}/resend/")
    capped = client.post(f"/team/invitations/{invitation.pk}/resend/", follow=True)
    assert "sent 5 times already" in capped.content.decode()
    assert EmailQueue.objects.filter(template=EmailTemplate.TEAM_INVITE).count() == 5

    assert client.post(f"/team/invitations/{invitation.pk}/revoke/").status_code == 303
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.REVOKED
    # The seat is free again, and a queued email for the revoked invitation is cancelled at send time.
    assert _invite(client, data, "w@example.com").status_code == 303
    email_queue_drain(max_batches=2)
    assert [m.to for m in mail.outbox] == [["w@example.com"]]
    assert EmailQueue.objects.filter(status=EmailStatus.CANCELLED, last_error="invitation no longer open").count() == 5


def test_a_suppressed_invitee_is_not_sent_to_but_a_suppressed_admin_does_not_block_the_invite(client):
    data = team_with_seats(seats=5)
    email_suppression_add(email=data["admin"].email, reason="HARD_BOUNCE")
    email_suppression_add(email="bounced@example.com", reason="HARD_BOUNCE")
    _invite(client, data, "bounced@example.com, fine@example.com")
    email_queue_drain(max_batches=1)
    assert [m.to for m in mail.outbox] == [["fine@example.com"]]


def test_joining_a_team_whose_subscription_lapsed_is_refused(client):
    data = team_with_seats(seats=3, status="CANCELLED")
    invitation = InvitationFactory(team=data["team"], email="late@example.com")
    client.force_login(UserFactory(email="Late@Example.com"))
    response = client.post(f"/team/invitations/{invitation_token(invitation)}/")
    assert response.status_code == 409 and "subscription isn" in response.content.decode()
    assert not TeamMembership.objects.filter(team=data["team"]).exclude(user=data["admin"]).exists()
