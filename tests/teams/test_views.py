"""/team/: who may see and do what, the page's data at a constant query count, CSV, leaving, and the
account's export and deletion."""

from __future__ import annotations

import csv
import io
import threading

import pytest
from django.db import connection

from billing.selectors import has_access
from progress.models import LessonProgress
from teams.models import Team, TeamInvitation, TeamMembership, TeamRole
from teams.services import member_remove
from tests.accounts.factories import UserFactory
from tests.teams.factories import InvitationFactory, MembershipFactory, team_with_seats

pytestmark = pytest.mark.django_db


def _fresh(user):
    return type(user).objects.get(pk=user.pk)


def test_access_matrix_member_removed_member_admin_outsider(client, course):
    data = team_with_seats(seats=5, members=3)
    member, removed = data["members"]
    outsider = UserFactory()
    TeamMembership.objects.filter(user=removed).delete()
    lesson = course["lessons"][1]
    expect = {data["admin"]: True, member: True, removed: False, outsider: False}
    for user, allowed in expect.items():
        assert has_access(_fresh(user)) is allowed
        client.force_login(user)
        page = client.get(f"/lessons/{lesson.pk}/").content.decode()
        assert ("data-paywall" not in page) is allowed, user.email


@pytest.mark.parametrize(
    "path",
    [
        "/team/invitations/",
        "/team/members/{member}/remove/",
        "/team/members/{member}/role/",
        "/team/invitations/{invitation}/resend/",
        "/team/invitations/{invitation}/revoke/",
        "/team/portal/",
        "/team/seats/",
    ],
)
def test_a_non_admin_reaching_team_actions_gets_403_and_nothing_changes(client, path):
    data = team_with_seats(seats=5, members=2)
    invitation = InvitationFactory(team=data["team"])
    member = data["members"][0]
    admin_membership = TeamMembership.objects.get(user=data["admin"])
    other = team_with_seats(seats=2)  # an admin of another team is no admin here
    url = path.format(member=admin_membership.pk, invitation=invitation.pk)
    for intruder in (member, UserFactory()):
        client.force_login(intruder)
        response = client.post(url, {"emails": "x@example.com", "role": "MEMBER", "seats": "9"})
        assert response.status_code == 403, (intruder.email, url)
        assert client.get("/team/export.csv").status_code == 403
    # Another team's admin acts on their own team only: this team's ids are unknown there.
    client.force_login(other["admin"])
    client.post(url, {"role": "MEMBER"})
    assert TeamMembership.objects.filter(team=data["team"]).count() == 2
    assert TeamMembership.objects.get(pk=admin_membership.pk).role == TeamRole.ADMIN
    assert TeamInvitation.objects.filter(team=data["team"], status="PENDING").count() == 1
    assert TeamInvitation.objects.get(pk=invitation.pk).sent_count == 1


def test_ids_of_the_wrong_shape_are_404(client):
    data = team_with_seats(seats=5)
    client.force_login(data["admin"])
    assert client.post("/team/members/x'--/remove/").status_code == 404
    assert client.post(f"/team/members/{'a' * 200}/remove/").status_code == 404
    # Every id in a URL goes through the <cuid:...> converter: a 404 before any view runs.
    assert client.post("/team/members/x'--/role/").status_code == 404
    assert client.post("/team/invitations/x'--/resend/").status_code == 404
    assert client.post(f"/team/invitations/{'a' * 200}/revoke/").status_code == 404


def test_two_admins_removing_the_same_member_at_once_remove_one_and_raise_nothing(transactional_db):
    data = team_with_seats(seats=5, members=3)
    second_admin = data["members"][1]
    TeamMembership.objects.filter(user=second_admin).update(role=TeamRole.ADMIN)
    target = TeamMembership.objects.get(user=data["members"][0])
    results, errors = [], []
    barrier = threading.Barrier(2)

    def remove(by):
        try:
            barrier.wait()
            results.append(member_remove(team=data["team"], by=by, membership_id=target.pk))
        except Exception as exc:  # noqa: BLE001 — the assertion is that nothing is raised
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=remove, args=(admin,)) for admin in (data["admin"], second_admin)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(results) == [False, True]
    assert TeamMembership.objects.filter(team=data["team"]).count() == 2


def test_the_last_admin_cannot_leave_without_naming_another_then_can(client):
    data = team_with_seats(seats=5, members=2)
    member = data["members"][0]
    client.force_login(data["admin"])
    response = client.post("/team/leave/", follow=True)
    assert "last admin" in response.content.decode()
    assert TeamMembership.objects.filter(user=data["admin"]).exists()
    successor = TeamMembership.objects.get(user=member)
    assert client.post("/team/leave/", {"successor": successor.pk}).status_code == 303
    successor.refresh_from_db()
    assert successor.role == TeamRole.ADMIN
    team = Team.objects.get()
    assert team.billing_contact == member  # billing mail follows the admins
    assert team.subscription.quantity == 5  # the team and its subscription stay


def test_the_last_admin_cannot_demote_or_remove_themself(client):
    data = team_with_seats(seats=5, members=2)
    client.force_login(data["admin"])
    mine = TeamMembership.objects.get(user=data["admin"])
    response = client.post(f"/team/members/{mine.pk}/role/", {"role": "MEMBER"}, follow=True)
    assert "at least one admin" in response.content.decode()
    response = client.post(f"/team/members/{mine.pk}/remove/", follow=True)
    assert "last admin" in response.content.decode()
    assert TeamMembership.objects.get(pk=mine.pk).role == TeamRole.ADMIN


def test_the_page_shows_seats_members_progress_and_pending_invitations(client, course):
    data = team_with_seats(seats=6, members=2)
    member = data["members"][0]
    for lesson in course["lessons"][:3]:  # all of module 1
        LessonProgress.objects.create(user=member, lesson=lesson, completed=True)
    InvitationFactory(team=data["team"], email="pending@example.com")
    client.force_login(data["admin"])
    page = client.get("/team/")
    text = page.content.decode()
    assert "3 of 6 seats used" in text
    assert "pending@example.com" in text
    row = next(m for m in page.context["page"].members if m.user_id == member.pk)
    assert row.percent == 50 and [b.done for b in row.modules] == [3, 0] and row.last_active is not None

    export = client.get("/team/export.csv")
    assert export["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(export.content.decode())))
    assert rows[0][:6] == ["name", "email", "role", "joined", "last active", "percent"]
    assert [r[5] for r in rows[1:] if r[1] == member.email] == ["50"]


def test_csv_cells_never_run_as_spreadsheet_formulas(client):
    data = team_with_seats(seats=3)
    MembershipFactory(team=data["team"], user=UserFactory(name='=HYPERLINK("http://evil")'))
    client.force_login(data["admin"])
    body = client.get("/team/export.csv").content.decode()
    assert "'=HYPERLINK" in body


@pytest.mark.parametrize("size", [2, 500])
def test_team_page_runs_a_constant_number_of_queries(client, course, size, django_assert_num_queries):
    data = team_with_seats(seats=size + 5, members=1)
    users = UserFactory._meta.model.objects.bulk_create(
        [UserFactory.build(email=f"m{size}-{i}@example.com") for i in range(size - 1)]
    )
    TeamMembership.objects.bulk_create([TeamMembership(team=data["team"], user=u) for u in users])
    LessonProgress.objects.bulk_create(
        [LessonProgress(user=u, lesson=course["lessons"][i % 6], completed=True) for i, u in enumerate(users)]
    )
    InvitationFactory.create_batch(3, team=data["team"])
    client.force_login(data["admin"])
    # 7: the signed-in user is read with their own subscription in one query (config/user_cache.py)
    with django_assert_num_queries(7):
        response = client.get("/team/")
    assert response.status_code == 200
    assert len(response.context["page"].members) == size


def test_export_and_deletion_cover_team_rows(client):
    data = team_with_seats(seats=5, members=2)
    member = data["members"][0]
    InvitationFactory(team=data["team"], email="sent@example.com", invited_by=data["admin"])
    client.force_login(data["admin"])
    exported = client.get("/account/export/").json()
    assert exported["team"]["membership"]["role"] == "ADMIN"
    assert [i["email"] for i in exported["team"]["invitations_sent"]] == ["sent@example.com"]

    # The last admin of a team with members cannot delete their account yet; nothing is deleted.
    from accounts.services import user_delete
    from teams.services import TeamError

    with pytest.raises(TeamError, match="last admin"):
        user_delete(user=data["admin"])
    assert TeamMembership.objects.filter(user=data["admin"]).exists()

    # A member deleting their account frees their seat and never touches the team's data.
    user_delete(user=member)
    assert TeamMembership.objects.filter(team=data["team"]).count() == 1
    assert Team.objects.get().subscription.quantity == 5
    assert TeamInvitation.objects.filter(team=data["team"]).count() == 1


def test_the_django_admin_lists_teams_memberships_and_invitations(client, admin_user):
    data = team_with_seats(seats=4, members=2)
    InvitationFactory(team=data["team"])
    client.force_login(admin_user)
    for path in ("/admin/teams/team/", "/admin/teams/teammembership/", "/admin/teams/teaminvitation/"):
        response = client.get(path)
        assert response.status_code == 200 and data["team"].name in response.content.decode(), path
    page = client.get(f"/admin/teams/team/{data['team'].pk}/change/")
    assert page.status_code == 200 and data["admin"].email in page.content.decode()


def test_the_account_page_says_where_a_members_access_comes_from(client):
    data = team_with_seats(seats=3, members=2)
    client.force_login(data["members"][0])
    page = client.get("/account/").content.decode()
    assert f"You have a seat in <strong>{data['team'].name}</strong>" in page
    assert "comes from the team" in page and "See plans" not in page


def test_a_member_leaves_and_loses_access_the_team_stays(client, course):
    data = team_with_seats(seats=3, members=2)
    member = data["members"][0]
    client.force_login(member)
    assert "Leave " in client.get("/team/").content.decode()
    assert client.post("/team/leave/").status_code == 303
    assert not has_access(_fresh(member))
    assert TeamMembership.objects.filter(team=data["team"]).count() == 1


def test_two_admins_inviting_into_the_last_seat_at_once_fill_it_once(transactional_db):
    from teams.services import SeatsExhausted, invitations_create

    data = team_with_seats(seats=3, members=2)
    second_admin = data["members"][0]
    TeamMembership.objects.filter(user=second_admin).update(role=TeamRole.ADMIN)
    outcomes, barrier = [], threading.Barrier(2)

    def invite(by, email):
        try:
            barrier.wait()
            invitations_create(team=data["team"], by=by, emails=email)
            outcomes.append("invited")
        except SeatsExhausted:
            outcomes.append("full")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=invite, args=(data["admin"], "one@example.com")),
        threading.Thread(target=invite, args=(second_admin, "two@example.com")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["full", "invited"]
    assert TeamInvitation.objects.filter(team=data["team"]).count() == 1


def test_the_only_member_deleting_their_account_cancels_the_teams_subscription_at_stripe(fake_stripe):
    from accounts.services import user_delete
    from tests.teams.factories import stripe_team_subscription

    data = team_with_seats(seats=2)
    row = data["subscription"]
    fake_stripe.put_subscription(
        stripe_team_subscription(
            subscription_id=row.stripe_subscription_id,
            customer_id=row.stripe_customer_id,
            team_id=data["team"].pk,
            quantity=2,
        )
    )
    user_delete(user=data["admin"])
    assert fake_stripe.requests_to("DELETE", f"/v1/subscriptions/{row.stripe_subscription_id}")
    row.refresh_from_db()
    assert row.status == "CANCELLED" and Team.objects.filter(pk=data["team"].pk).exists()


def test_pricing_tells_a_team_member_they_already_have_access(client):
    data = team_with_seats(seats=3, members=2)
    client.force_login(data["members"][0])
    assert "through your team" in client.get("/pricing/").content.decode()
