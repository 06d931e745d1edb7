"""Team seats against the local Stripe fake: Checkout with a quantity, signed webhooks through the one
convergent sync, seat changes with Stripe's prorated preview, dunning and cancellation, MRR."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from billing.models import Subscription, SubscriptionPlan, SubscriptionStatus
from billing.selectors import has_access, mrr
from emails.models import EmailQueue, EmailTemplate
from teams.models import Team, TeamMembership, TeamRole
from tests.accounts.factories import UserFactory
from tests.billing.factories import SubscriptionFactory
from tests.billing.stripe_events import post_event
from tests.teams.factories import (
    SEAT_CENTS,
    MembershipFactory,
    stripe_team_subscription,
    subscription_event,
    team_with_seats,
)

pytestmark = pytest.mark.django_db


def _fresh(user):
    return type(user).objects.get(pk=user.pk)


def _paid_lesson_page(client, course, user) -> str:
    client.force_login(user)
    return client.get(f"/lessons/{course['lessons'][1].pk}/").content.decode()


def test_checkout_buys_seats_with_an_adjustable_quantity_and_the_webhook_makes_the_team_live(
    client, fake_stripe, course
):
    admin = UserFactory()
    client.force_login(admin)
    response = client.post("/team/start/", {"name": "Acme Engineering", "seats": "5", "plan": "monthly"})

    assert response.status_code == 303 and response["Location"].startswith("https://checkout.stripe.com/")
    team = Team.objects.get()
    assert team.name == "Acme Engineering" and team.billing_contact == admin
    assert TeamMembership.objects.get(team=team).user == admin
    (sent,) = fake_stripe.requests_to("POST", "/v1/checkout/sessions")
    assert sent.params["line_items[0][price]"] == "price_team_monthly_test"
    assert sent.params["line_items[0][quantity]"] == "5"
    assert sent.params["line_items[0][adjustable_quantity][enabled]"] == "true"
    assert sent.params["line_items[0][adjustable_quantity][minimum]"] == "2"
    assert sent.params["subscription_data[metadata][team_id]"] == team.pk
    assert not has_access(_fresh(admin))  # nothing until Stripe says it is paid

    # On Stripe's page the buyer raised it to 6 seats; Stripe's state says so, and the webhook converges to it.
    remote = stripe_team_subscription(subscription_id="sub_teamA", customer_id="cus_teamA", team_id=team.pk, quantity=6)
    fake_stripe.put_subscription(remote)
    session = {
        "id": "cs_test_team",
        "object": "checkout.session",
        "mode": "subscription",
        "subscription": "sub_teamA",
        "customer": "cus_teamA",
        "client_reference_id": admin.pk,
    }
    assert (
        post_event(client, subscription_event("checkout.session.completed", session, event_id="evt_t1")).status_code
        == 200
    )

    row = Subscription.objects.get(team=team)
    assert (row.user_id, row.quantity, row.status) == (None, 6, SubscriptionStatus.ACTIVE)
    assert not Subscription.objects.filter(user=admin).exists()  # the buyer's own row is untouched
    assert has_access(_fresh(admin))
    assert "data-paywall" not in _paid_lesson_page(client, course, admin)
    # The renewal notice goes to the billing contact, priced per seat.
    reminder = EmailQueue.objects.get(template=EmailTemplate.RENEWAL_REMINDER)
    assert reminder.user_id == admin.pk and reminder.data["seats"] == 6


@pytest.mark.parametrize(
    ("seats", "message"),
    [
        ("1", "at least 2 seats"),
        ("100000000000000000000", "up to 1000 seats"),
        ("ten", "whole number"),
        ("", "whole number"),
    ],
)
def test_checkout_refuses_a_bad_seat_count_before_reaching_stripe(client, fake_stripe, user, seats, message):
    client.force_login(user)
    response = client.post("/team/start/", {"name": "Acme", "seats": seats, "plan": "monthly"}, follow=True)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not fake_stripe.requests_to("POST", "/v1/checkout/sessions")
    assert not Team.objects.exists()


def test_checkout_refuses_a_nul_byte_name(client, fake_stripe, user):
    client.force_login(user)
    response = client.post("/team/start/", {"name": "\x00", "seats": "3", "plan": "monthly"}, follow=True)
    assert response.status_code == 200 and "Give your team a name" in response.content.decode()
    assert not Team.objects.exists()


def test_quantity_changes_converge_whatever_order_the_webhooks_arrive_in(client, fake_stripe):
    data = team_with_seats(seats=3)
    team, row = data["team"], data["subscription"]
    remote = stripe_team_subscription(
        subscription_id=row.stripe_subscription_id, customer_id=row.stripe_customer_id, team_id=team.pk, quantity=3
    )
    old_event = subscription_event("customer.subscription.updated", remote, event_id="evt_q3")
    remote_now = json.loads(json.dumps(remote))
    remote_now["items"]["data"][0]["quantity"] = 8
    fake_stripe.put_subscription(remote_now)

    post_event(client, subscription_event("customer.subscription.updated", remote_now, event_id="evt_q8"))
    post_event(client, old_event)  # late, carrying 3 seats: the sync re-reads Stripe, which says 8
    post_event(client, old_event)  # and a duplicate

    row.refresh_from_db()
    assert row.quantity == 8 and Subscription.objects.filter(team=team).count() == 1


def test_a_past_due_team_keeps_access_and_its_billing_contact_is_dunned_then_cancelled_members_lose_access(
    client, fake_stripe, course
):
    data = team_with_seats(seats=3, members=2)
    team, row, member = data["team"], data["subscription"], data["members"][0]
    remote = stripe_team_subscription(
        subscription_id=row.stripe_subscription_id, customer_id=row.stripe_customer_id, team_id=team.pk, quantity=3
    )
    assert "data-paywall" not in _paid_lesson_page(client, course, member)

    remote["status"] = "past_due"
    fake_stripe.put_subscription(remote)
    invoice = {
        "id": "in_team_failed",
        "object": "invoice",
        "attempt_count": 1,
        "parent": {
            "type": "subscription_details",
            "subscription_details": {"subscription": row.stripe_subscription_id},
        },
    }
    assert (
        post_event(client, subscription_event("invoice.payment_failed", invoice, event_id="evt_pf")).status_code == 200
    )
    row.refresh_from_db()
    assert row.status == SubscriptionStatus.PAST_DUE
    assert "data-paywall" not in _paid_lesson_page(client, course, member)  # grace period
    failed = EmailQueue.objects.get(template=EmailTemplate.PAYMENT_FAILED)
    assert failed.user_id == data["admin"].pk and failed.data["seats"] == 3
    client.force_login(data["admin"])
    assert "last payment didn" in client.get("/team/").content.decode()

    remote["status"] = "canceled"
    remote["canceled_at"] = remote["created"] + 7200
    fake_stripe.put_subscription(remote)
    post_event(client, subscription_event("customer.subscription.deleted", remote, event_id="evt_del"))
    # The very next request of the member meets the paywall; the team and its seats stay on record.
    assert "data-paywall" in _paid_lesson_page(client, course, member)
    assert not has_access(_fresh(data["admin"]))
    assert TeamMembership.objects.filter(team=team).count() == 2


def test_seat_change_shows_stripes_prorated_price_then_charges_exactly_that(client, fake_stripe):
    data = team_with_seats(seats=3, members=2)
    row = data["subscription"]
    remote = stripe_team_subscription(
        subscription_id=row.stripe_subscription_id,
        customer_id=row.stripe_customer_id,
        team_id=data["team"].pk,
        quantity=3,
        start=int(row.current_period_start.timestamp()) - 15 * 86400,  # half-way through the period
    )
    fake_stripe.put_subscription(remote)
    client.force_login(data["admin"])

    page = client.get("/team/seats/", {"seats": "5"})
    assert page.status_code == 200
    (preview,) = fake_stripe.requests_to("POST", "/v1/invoices/create_preview")
    assert preview.params["subscription_details[items][0][quantity]"] == "5"
    assert preview.params["subscription_details[proration_behavior]"] == "always_invoice"
    expected = round(2 * SEAT_CENTS * 0.5 / 100)  # two seats for half a period, about $39
    text = page.content.decode()
    assert f"{page.context['amount']} USD" in text and abs(float(page.context["amount"]) - expected) < 1

    response = client.post("/team/seats/", {"seats": "5", "proration_date": page.context["proration_date"]})
    assert response.status_code == 303
    (update,) = fake_stripe.requests_to("POST", f"/v1/subscriptions/{row.stripe_subscription_id}")
    assert update.params["items[0][quantity]"] == "5"
    assert update.params["proration_date"] == str(page.context["proration_date"])
    row.refresh_from_db()
    assert row.quantity == 5


def test_seats_below_those_in_use_are_refused_with_the_count(client, fake_stripe):
    data = team_with_seats(seats=4, members=3)
    client.force_login(data["admin"])
    response = client.get("/team/seats/", {"seats": "2"}, follow=True)
    assert "3 seats are in use" in response.content.decode()
    assert not fake_stripe.requests_to("POST", "/v1/invoices/create_preview")
    response = client.post("/team/seats/", {"seats": "2", "proration_date": "1"}, follow=True)
    assert not fake_stripe.requests_to("POST", "/v1/subscriptions/")


def test_mrr_counts_team_seats(settings):
    SubscriptionFactory()  # one learner, monthly: $49
    team_with_seats(seats=10)  # ten team seats at $39
    team_with_seats(seats=4, status=SubscriptionStatus.CANCELLED)  # ended: nothing
    assert mrr() == Decimal("49.00") + 10 * Decimal(settings.PLAN_PRICE_TEAM_MONTHLY)
    annual = team_with_seats(seats=3)  # three annual seats at $319 / 12
    Subscription.objects.filter(team=annual["team"]).update(plan=SubscriptionPlan.ANNUAL)
    assert mrr() == (
        Decimal("49.00")
        + 10 * Decimal(settings.PLAN_PRICE_TEAM_MONTHLY)
        + (3 * Decimal(settings.PLAN_PRICE_TEAM_ANNUAL) / 12).quantize(Decimal("0.01"))
    )


def test_a_removed_member_on_an_active_team_loses_access_on_the_next_request(client, course):
    data = team_with_seats(seats=3, members=2)
    member = data["members"][0]
    assert "data-paywall" not in _paid_lesson_page(client, course, member)
    client.force_login(data["admin"])
    membership = TeamMembership.objects.get(user=member)
    assert client.post(f"/team/members/{membership.pk}/remove/").status_code == 303
    assert "data-paywall" in _paid_lesson_page(client, course, member)
    assert MembershipFactory._meta.model.objects.filter(team=data["team"], role=TeamRole.ADMIN).count() == 1


def test_a_team_admin_who_also_pays_for_themself_gets_both_renewal_notices():
    from emails.models import EmailStatus
    from emails.triggers import renewal_reminder_reschedule

    data = team_with_seats(seats=3)
    own = SubscriptionFactory(user=data["admin"])
    team = data["subscription"]
    renewal_reminder_reschedule(subscription=own)
    renewal_reminder_reschedule(subscription=team)
    pending = EmailQueue.objects.filter(template=EmailTemplate.RENEWAL_REMINDER, status=EmailStatus.PENDING)
    assert {r.data["subscription_id"] for r in pending} == {own.pk, team.pk}

    team.cancel_at_period_end = True
    team.save()
    renewal_reminder_reschedule(subscription=team)  # the team's stops; the learner's own one stays
    assert [r.data["subscription_id"] for r in pending.all()] == [own.pk]
