"""Issue 16 against the local Stripe fake: trials, the cancel flow (pause, discount, switch, cancel),
resume, and the emails they cause. Every change is asserted twice: what we asked Stripe (the fake's
recorded requests) and what the row says only after Stripe's webhook (the page never trusts its write)."""

from __future__ import annotations

import random
import time
from datetime import timedelta

import pytest
import time_machine
from django.test import Client

from analytics.models import Event, EventName
from billing.models import CancelFlow, CancelOutcome, Subscription, SubscriptionPlan, SubscriptionStatus
from billing.selectors import has_access
from emails.drain import email_queue_drain
from emails.models import EmailLog, EmailQueue, EmailStatus, EmailTemplate
from tests.accounts.factories import UserFactory
from tests.billing.retention_helpers import DAY, SUB_ID, at, deliver, state
from tests.billing.stripe_events import post_event
from tests.progress.factories import LessonProgressFactory

pytestmark = pytest.mark.django_db


def _events(user, name: str) -> int:
    return Event.objects.filter(user=user, event=name).count()


def _rows(user, template: str, status: str | None = EmailStatus.PENDING) -> list[EmailQueue]:
    rows = EmailQueue.objects.filter(user_id=user.pk, template=template)
    return list(rows.filter(status=status) if status else rows)


def _subscribe(fake, user, **kwargs) -> Subscription:
    fake.put_subscription(state(user, **kwargs))
    deliver(Client(), fake, event_type="customer.subscription.created")
    return Subscription.objects.get(user=user)


def _updates(fake) -> list[dict[str, str]]:
    return [r.params for r in fake.requests_to("POST", f"/v1/subscriptions/{SUB_ID}")]


def _start_flow(client, reason: str = "TOO_EXPENSIVE", detail: str = "") -> CancelFlow:
    response = client.post("/account/subscription/cancel/", {"reason": reason, "detail": detail})
    assert response.status_code == 303, response.content
    flow = CancelFlow.objects.latest("created_at")
    assert response["Location"] == f"/account/subscription/cancel/{flow.pk}/"
    return flow


def _answer(client, flow, subscription, **data):
    return client.post(f"/account/subscription/cancel/{flow.pk}/", {"subscription": subscription.pk, **data})


# --- trials -------------------------------------------------------------------------------------


def test_checkout_offers_the_trial_and_stripe_tax_to_a_first_time_learner_only(client, user, fake_stripe, settings):
    settings.STRIPE_TRIAL_DAYS = 14
    settings.STRIPE_AUTOMATIC_TAX = True
    client.force_login(user)
    assert "Start your 14-day free trial" in client.get("/pricing/").content.decode()

    assert client.post("/billing/checkout/", {"plan": "monthly"}).status_code == 303
    [request] = fake_stripe.requests_to("POST", "/v1/checkout/sessions")
    assert request.params["subscription_data[trial_period_days]"] == "14"
    assert request.params["payment_method_collection"] == "always"
    assert request.params["automatic_tax[enabled]"] == "true"
    assert request.params["billing_address_collection"] == "required"
    assert request.params["tax_id_collection[enabled]"] == "true"
    assert "customer_update[address]" not in request.params  # a new customer: Checkout creates it

    # A returning learner (their earlier subscription ended) gets tax but no second trial.
    returning = UserFactory(onboarding_complete=True)
    _old = Subscription.objects.create(
        user=returning,
        stripe_customer_id="cus_returning",
        stripe_subscription_id="sub_old",
        status=SubscriptionStatus.CANCELLED,
        stripe_status="canceled",
        plan=SubscriptionPlan.MONTHLY,
        current_period_start=at(1_700_000_000),
        current_period_end=at(1_702_000_000),
    )
    fake_stripe.customers.add("cus_returning")
    client.force_login(returning)
    assert "free trial" not in client.get("/pricing/").content.decode()
    client.post("/billing/checkout/", {"plan": "annual"})
    request = fake_stripe.requests_to("POST", "/v1/checkout/sessions")[-1]
    assert "subscription_data[trial_period_days]" not in request.params
    assert request.params["customer_update[address]"] == "auto"
    assert request.params["automatic_tax[enabled]"] == "true"


def test_no_trial_when_the_setting_is_zero(client, user, fake_stripe, course):
    client.force_login(user)
    assert "free trial" not in client.get("/pricing/").content.decode()
    paywall = client.get(f"/lessons/{course['lessons'][1].pk}/").content.decode()
    assert "Subscribe monthly" in paywall and "free trial" not in paywall
    client.post("/billing/checkout/", {"plan": "monthly"})
    [request] = fake_stripe.requests_to("POST", "/v1/checkout/sessions")
    assert "subscription_data[trial_period_days]" not in request.params


def test_the_paywall_says_start_your_free_trial(client, user, course, settings):
    settings.STRIPE_TRIAL_DAYS = 7
    client.force_login(user)
    paywall = client.get(f"/lessons/{course['lessons'][1].pk}/").content.decode()
    assert "Start your 7-day free trial" in paywall


def test_a_trial_grants_access_warns_three_days_ahead_and_converts_once(fake_stripe, user, mailoutbox):
    start = time.time()
    row = _subscribe(fake_stripe, user, status="trialing", trial=True, period_days=14, now=start)
    assert (row.status, has_access(user)) == (SubscriptionStatus.TRIALING, True)
    assert row.trial_end == at(int(start) - DAY + 14 * DAY)
    assert _events(user, EventName.TRIAL_STARTED) == 1

    # Stripe's trial_will_end, delivered twice (two ids, as a retry after a timeout would be).
    for _ in range(2):
        deliver(Client(), fake_stripe, event_type="customer.subscription.trial_will_end")
    [warning] = _rows(user, EmailTemplate.TRIAL_ENDING)
    assert warning.data["trial_end"] == row.trial_end.isoformat()
    assert email_queue_drain() == {"SENT": 1}
    [message] = mailoutbox
    assert f"ends on {row.trial_end:%B} {row.trial_end.day}" in message.subject
    assert "$49" in message.body and "monthly membership" in message.body
    assert "List-Unsubscribe" not in message.extra_headers  # transactional

    # The trial ends and the first invoice is paid: Stripe says active.
    converted = state(user, status="active", trial=True, period_days=14, now=start)
    fake_stripe.put_subscription(converted)
    for _ in range(3):
        deliver(Client(), fake_stripe)
    row.refresh_from_db()
    assert row.status == SubscriptionStatus.ACTIVE
    assert (_events(user, EventName.TRIAL_STARTED), _events(user, EventName.TRIAL_CONVERTED)) == (1, 1)
    # A late trial_will_end after the conversion warns nobody.
    deliver(Client(), fake_stripe, event_type="customer.subscription.trial_will_end")
    assert len(_rows(user, EmailTemplate.TRIAL_ENDING, status=None)) == 1


@pytest.mark.parametrize("seed", range(6))
def test_trial_lifecycle_converges_in_any_order(fake_stripe, user, seed):
    """created (trialing) → trial_will_end → updated (active): shuffled with repeats, Stripe holding the
    final state. The row ends active; each event is recorded once; nobody is warned about a past trial."""
    start = time.time()
    fake_stripe.put_subscription(state(user, status="trialing", trial=True, period_days=14, now=start))
    events = [
        fake_stripe.subscription_event(SUB_ID, "customer.subscription.created"),
        fake_stripe.subscription_event(SUB_ID, "customer.subscription.trial_will_end"),
    ]
    fake_stripe.put_subscription(state(user, status="active", trial=True, period_days=14, now=start))
    events.append(fake_stripe.subscription_event(SUB_ID, "customer.subscription.updated"))
    rng = random.Random(seed)
    deliveries = [e for e in events for _ in range(rng.randint(1, 3))]
    rng.shuffle(deliveries)
    for event in deliveries:
        assert post_event(Client(), event).status_code == 200

    row = Subscription.objects.get(user=user)
    assert row.status == SubscriptionStatus.ACTIVE
    assert (_events(user, EventName.TRIAL_STARTED), _events(user, EventName.TRIAL_CONVERTED)) == (1, 1)
    assert _events(user, EventName.SUBSCRIPTION_STARTED) == 1
    assert _rows(user, EmailTemplate.TRIAL_ENDING, status=None) == []
    assert len(_rows(user, EmailTemplate.RENEWAL_REMINDER)) == 1


def test_a_trial_cancelled_before_it_converts_ends_access_and_queues_the_win_back(fake_stripe, user, settings):
    start = time.time()
    _subscribe(fake_stripe, user, status="trialing", trial=True, period_days=14, now=start)
    ended = state(user, status="canceled", trial=True, period_days=14, now=start)
    ended.update(canceled_at=int(start), ended_at=int(start))
    fake_stripe.put_subscription(ended)
    deliver(Client(), fake_stripe, event_type="customer.subscription.deleted")

    row = Subscription.objects.get(user=user)
    assert (row.status, has_access(user)) == (SubscriptionStatus.CANCELLED, False)
    assert _events(user, EventName.TRIAL_CONVERTED) == 0
    assert _events(user, EventName.SUBSCRIPTION_CANCELLED) == 1
    [winback] = _rows(user, EmailTemplate.WINBACK)
    assert winback.scheduled_for == at(int(start)) + timedelta(days=settings.WINBACK_DELAY_DAYS)
    [confirmed] = _rows(user, EmailTemplate.CANCELLATION_CONFIRMED)
    assert confirmed.data["ends_at"] == at(int(start)).isoformat()


# --- the cancel flow ------------------------------------------------------------------------------


def test_the_cancel_page_shows_the_learners_own_progress_and_a_resume_link(client, fake_stripe, user, course):
    _subscribe(fake_stripe, user)
    module_1 = course["modules"][0]
    for lesson in course["lessons"][:2]:
        LessonProgressFactory(user=user, lesson=lesson)
    client.force_login(user)
    page = client.get("/account/subscription/cancel/").content.decode()
    assert "2 of 6 lessons" in page
    assert f"1 lesson left in {module_1.title}" in page
    assert f'href="/lessons/{course["lessons"][2].pk}/"' in page
    assert 'name="reason"' in page and "csrfmiddlewaretoken" in page


def test_pausing_goes_to_stripe_and_takes_effect_only_when_the_webhook_confirms_it(client, fake_stripe, user, course):
    row = _subscribe(fake_stripe, user)
    assert len(_rows(user, EmailTemplate.RENEWAL_REMINDER)) == 1
    client.force_login(user)
    flow = _start_flow(client, reason="NOT_ENOUGH_TIME", detail="Busy term at work")
    assert (flow.reason, flow.detail, flow.outcome) == ("NOT_ENOUGH_TIME", "Busy term at work", CancelOutcome.OPEN)
    exported = client.get("/account/export/").json()["cancel_flows"]
    assert [(f["reason"], f["detail"], f["outcome"]) for f in exported] == [
        ("NOT_ENOUGH_TIME", "Busy term at work", "OPEN")
    ]
    assert _events(user, EventName.CANCEL_FLOW_STARTED) == 1
    offers = client.get(f"/account/subscription/cancel/{flow.pk}/").content.decode()
    assert 'value="pause"' in offers and '<option value="3">' in offers and '<option value="4">' not in offers

    assert _answer(client, flow, row, action="pause", months="2").status_code == 303
    [update] = _updates(fake_stripe)
    period_end = row.current_period_end
    resumes = period_end.replace(month=period_end.month + 2) if period_end.month <= 10 else None
    assert update["pause_collection[behavior]"] == "void"
    if resumes:
        assert update["pause_collection[resumes_at]"] == str(int(resumes.timestamp()))
    assert update["metadata[pause_starts_at]"] == str(int(period_end.timestamp()))
    flow.refresh_from_db()
    assert (flow.outcome, flow.pause_months) == (CancelOutcome.PAUSED, 2)
    row.refresh_from_db()
    assert row.pause_resumes_at is None  # nothing changes here until Stripe says so

    deliver(Client(), fake_stripe)
    row.refresh_from_db()
    assert row.pause_starts_at == period_end and row.pause_resumes_at is not None
    assert _rows(user, EmailTemplate.RENEWAL_REMINDER) == []  # nothing renews while paused
    assert has_access(user)  # the paid period runs to its end
    with time_machine.travel(period_end + timedelta(days=1), tick=False):
        assert not has_access(user)
        client.force_login(user)  # a month on, the earlier session has expired
        lesson = client.get(f"/lessons/{course['lessons'][1].pk}/").content.decode()
        assert "Your membership is paused until" in lesson and "/account/subscription/cancel/" in lesson
    with time_machine.travel(row.pause_resumes_at + timedelta(seconds=1), tick=False):
        assert has_access(user)
    page = client.get("/account/subscription/cancel/").content.decode()
    assert "Your membership pauses on" in page and "Resume subscription now" in page

    # Resume now: Stripe unpauses; the reminder comes back with the webhook.
    response = client.post("/account/subscription/resume/", {"subscription": row.pk})
    assert response.status_code == 303
    assert _updates(fake_stripe)[-1] == {"pause_collection": "", "metadata[pause_starts_at]": ""}
    deliver(Client(), fake_stripe)
    row.refresh_from_db()
    assert row.pause_resumes_at is None
    assert len(_rows(user, EmailTemplate.RENEWAL_REMINDER)) == 1


def test_cancel_at_period_end_confirms_by_email_and_resume_undoes_it(client, fake_stripe, user, mailoutbox):
    row = _subscribe(fake_stripe, user)
    client.force_login(user)
    flow = _start_flow(client, reason="FINISHED")
    assert _answer(client, flow, row, action="cancel").status_code == 303
    assert _updates(fake_stripe) == [{"cancel_at_period_end": "true"}]
    assert not Subscription.objects.get(pk=row.pk).cancel_at_period_end
    assert _rows(user, EmailTemplate.CANCELLATION_CONFIRMED, status=None) == []

    for _ in range(2):
        deliver(Client(), fake_stripe)
    row.refresh_from_db()
    assert row.cancel_at_period_end and has_access(user)
    [confirmed] = _rows(user, EmailTemplate.CANCELLATION_CONFIRMED)
    assert confirmed.data["ends_at"] == row.current_period_end.isoformat()
    assert _rows(user, EmailTemplate.RENEWAL_REMINDER) == []
    email_queue_drain()
    [message] = mailoutbox
    assert f"{row.current_period_end:%B} {row.current_period_end.day}, {row.current_period_end:%Y}" in message.body
    assert "won't be charged again" in message.body

    page = client.get("/account/subscription/cancel/").content.decode()
    assert "Your membership ends on" in page
    assert client.post("/account/subscription/resume/", {"subscription": row.pk}).status_code == 303
    assert _updates(fake_stripe)[-1] == {"cancel_at_period_end": "false"}
    deliver(Client(), fake_stripe)
    row.refresh_from_db()
    assert not row.cancel_at_period_end
    assert len(_rows(user, EmailTemplate.RENEWAL_REMINDER)) == 1

    # Nothing left to resume: a clear 409 and no Stripe call.
    calls = len(_updates(fake_stripe))
    response = client.post("/account/subscription/resume/", {"subscription": row.pk})
    assert response.status_code == 409 and len(_updates(fake_stripe)) == calls


def test_switching_plan_moves_the_item_to_the_other_price(client, fake_stripe, user):
    fake_stripe.put_price("price_annual_test", interval="year", unit_amount=39900)
    row = _subscribe(fake_stripe, user)
    client.force_login(user)
    flow = _start_flow(client)
    assert _answer(client, flow, row, action="switch").status_code == 303
    [update] = _updates(fake_stripe)
    assert update["items[0][price]"] == "price_annual_test"
    assert update["items[0][id]"] == "si_SyLbUsLifecycle1"
    assert Subscription.objects.get(pk=row.pk).plan == SubscriptionPlan.MONTHLY
    deliver(Client(), fake_stripe)
    assert Subscription.objects.get(pk=row.pk).plan == SubscriptionPlan.ANNUAL
    assert CancelFlow.objects.get(pk=flow.pk).outcome == CancelOutcome.SWITCHED


def test_the_retention_discount_is_applied_once_per_learner(client, fake_stripe, user, settings):
    settings.STRIPE_RETENTION_COUPON = "coupon_stay50"
    fake_stripe.put_coupon("coupon_stay50")
    row = _subscribe(fake_stripe, user)
    client.force_login(user)
    first = _start_flow(client)
    assert (
        "Stay with 50% off your next payment"
        in client.get(f"/account/subscription/cancel/{first.pk}/").content.decode()
    )
    assert _answer(client, first, row, action="discount").status_code == 303
    assert _updates(fake_stripe) == [{"discounts[0][coupon]": "coupon_stay50"}]
    deliver(Client(), fake_stripe)
    assert Subscription.objects.get(pk=row.pk).discount_coupon_id.startswith("di_")
    assert _events(user, EventName.CANCEL_OFFER_ACCEPTED) == 1

    second = _start_flow(client)
    assert "Stay with" not in client.get(f"/account/subscription/cancel/{second.pk}/").content.decode()
    response = _answer(client, second, row, action="discount")
    assert response.status_code == 400 and "can be used once" in response.content.decode()
    assert len(_updates(fake_stripe)) == 1
    assert CancelFlow.objects.get(pk=second.pk).outcome == CancelOutcome.OPEN


def test_bad_cancel_flow_posts_are_4xx_and_change_nothing_at_stripe(client, fake_stripe, user):
    row = _subscribe(fake_stripe, user)
    client.force_login(user)

    for bad in (
        {"reason": "BORED"},
        {"reason": ""},
        {"reason": "OTHER", "detail": "a\x00b"},
        {"reason": "OTHER", "detail": "x" * 2001},
    ):
        response = client.post("/account/subscription/cancel/", bad)
        assert response.status_code == 400, bad
    assert CancelFlow.objects.count() == 0

    flow = _start_flow(client)
    for months in ("0", "4", "-1", "abc", "", "1" * 40, "2.5"):
        response = _answer(client, flow, row, action="pause", months=months)
        assert response.status_code == 400, months
        assert "Choose a pause of 1 to 3 months" in response.content.decode()
    assert _answer(client, flow, row, action="refund-me").status_code == 400

    # Someone else's subscription, someone else's flow, ids of the wrong shape.
    other = UserFactory(onboarding_complete=True)
    assert _answer(client, flow, Subscription(pk="c" * 25), action="cancel").status_code == 400
    other_flow = CancelFlow.objects.create(user=other, subscription=row, reason="OTHER", plan_before="MONTHLY")
    assert client.post(f"/account/subscription/cancel/{other_flow.pk}/", {"action": "cancel"}).status_code == 404
    assert client.get("/account/subscription/cancel/..%2f..%2fadmin/").status_code == 404
    assert client.post("/account/subscription/cancel/NOT-AN-ID/", {"action": "cancel"}).status_code == 404
    assert client.post("/account/subscription/resume/", {"subscription": "c" * 25}).status_code == 400
    assert _updates(fake_stripe) == []

    # A forged post (no CSRF token) is refused before anything runs.
    forger = Client(enforce_csrf_checks=True)
    forger.force_login(user)
    assert (
        forger.post(
            f"/account/subscription/cancel/{flow.pk}/", {"subscription": row.pk, "action": "cancel"}
        ).status_code
        == 403
    )

    # Stripe down: a clear 503, the flow stays open, nothing recorded.
    fake_stripe.fail_next("POST", f"/v1/subscriptions/{SUB_ID}", times=3)
    response = _answer(client, flow, row, action="cancel")
    assert response.status_code == 503 and "nothing was changed" in response.content.decode()
    assert CancelFlow.objects.get(pk=flow.pk).outcome == CancelOutcome.OPEN
    fake_stripe.failures.clear()

    # Answered once; the replay is a 409 and Stripe hears nothing more.
    assert _answer(client, flow, row, action="cancel").status_code == 303
    sent = len(_updates(fake_stripe))
    response = _answer(client, flow, row, action="pause", months="1")
    assert response.status_code == 409 and "already answered" in response.content.decode()
    assert len(_updates(fake_stripe)) == sent


def test_the_flow_needs_a_live_subscription(client, user):
    client.force_login(user)
    assert "no active membership" in client.get("/account/subscription/cancel/").content.decode()
    assert client.post("/account/subscription/cancel/", {"reason": "OTHER"}).status_code == 400
    assert client.get("/account/subscription/cancel/").status_code == 200
    assert Client().get("/account/subscription/cancel/").status_code == 302  # signed out → sign in


# --- win-back -----------------------------------------------------------------------------------


def _end(fake, user, *, now: float) -> Subscription:
    ended = state(user, status="canceled", now=now)
    ended.update(canceled_at=int(now), ended_at=int(now))
    fake.put_subscription(ended)
    deliver(Client(), fake, event_type="customer.subscription.deleted")
    return Subscription.objects.get(user=user)


def test_win_back_goes_out_14_days_after_access_ends_with_one_click_unsubscribe(fake_stripe, user, mailoutbox):
    now = time.time()
    _subscribe(fake_stripe, user, now=now)
    _end(fake_stripe, user, now=now)
    deliver(Client(), fake_stripe, event_type="customer.subscription.deleted")  # a replay queues nothing
    assert len(_rows(user, EmailTemplate.WINBACK)) == 1
    with time_machine.travel(at(int(now)) + timedelta(days=13), tick=False):
        assert email_queue_drain() == {"SENT": 1}  # the cancellation confirmation only
    with time_machine.travel(at(int(now)) + timedelta(days=14, seconds=1), tick=False):
        assert email_queue_drain() == {"SENT": 1}
    message = mailoutbox[-1]
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/emails/unsubscribe/" in message.extra_headers["List-Unsubscribe"]
    assert "Pick up where you left off" in message.body


def test_win_back_honours_the_opt_out(fake_stripe, user):
    now = time.time()
    _subscribe(fake_stripe, user, now=now)
    _end(fake_stripe, user, now=now)
    user.marketing_opt_out = True
    user.save(update_fields=["marketing_opt_out"])
    with time_machine.travel(at(int(now)) + timedelta(days=15), tick=False):
        email_queue_drain()
    [winback] = _rows(user, EmailTemplate.WINBACK, status=EmailStatus.CANCELLED)
    assert EmailLog.objects.get(queue_item=winback).error == "marketing opt-out"


def test_resubscribing_cancels_the_pending_win_back(fake_stripe, user):
    now = time.time()
    _subscribe(fake_stripe, user, now=now)
    _end(fake_stripe, user, now=now)
    assert len(_rows(user, EmailTemplate.WINBACK)) == 1
    fake_stripe.put_subscription(state(user, sub_id="sub_1SyLbUsComeback000002", now=now + DAY))
    deliver(Client(), fake_stripe, sub_id="sub_1SyLbUsComeback000002", event_type="customer.subscription.created")
    assert has_access(user)
    assert _rows(user, EmailTemplate.WINBACK) == []
    assert len(_rows(user, EmailTemplate.WINBACK, status=EmailStatus.CANCELLED)) == 1


# --- refunds ------------------------------------------------------------------------------------


def test_the_refund_window_counts_from_the_stripe_subscriptions_start(fake_stripe, user):
    from billing.selectors import is_refund_eligible

    now = time.time()
    row = _subscribe(fake_stripe, user, now=now)
    Subscription.objects.filter(pk=row.pk).update(created_at=at(int(now)) - timedelta(days=400))
    row.refresh_from_db()
    assert is_refund_eligible(row)  # a re-subscriber: the row is old, the Stripe subscription is new
    assert not is_refund_eligible(row, now=row.stripe_created_at + timedelta(days=91))
    assert is_refund_eligible(row, now=row.stripe_created_at + timedelta(days=90))


def test_admins_read_cancel_flows_but_never_edit_them(client, fake_stripe, user, admin_user):
    row = _subscribe(fake_stripe, user)
    CancelFlow.objects.create(
        user=user, subscription=row, reason="TECHNICAL", detail="Video stutters", plan_before="MONTHLY"
    )
    client.force_login(admin_user)
    page = client.get("/admin/billing/cancelflow/")
    assert page.status_code == 200 and "Technical problems" in page.content.decode()
    assert client.get("/admin/billing/cancelflow/add/").status_code == 403


@pytest.mark.parametrize("seed", range(6))
def test_pause_resume_cancel_and_end_converge_in_any_order(fake_stripe, user, seed):
    """Stripe's events of a pause, its resume, a scheduled cancel and the end, shuffled with repeats while
    Stripe holds the final state: the row ends equal to it, and ending is recorded once."""
    now = time.time()
    current = state(user, now=now)
    fake_stripe.put_subscription(current)
    events = [fake_stripe.subscription_event(SUB_ID, "customer.subscription.created")]
    end = current["items"]["data"][0]["current_period_end"]
    steps = [
        {
            "pause_collection": {"behavior": "void", "resumes_at": end + 60 * DAY},
            "metadata": {"pause_starts_at": str(end)},
        },
        {"pause_collection": None, "metadata": {}},
        {"cancel_at_period_end": True, "cancel_at": end, "canceled_at": int(now)},
        {"status": "canceled", "ended_at": int(now)},
    ]
    for change in steps:
        current.update(change)
        current["metadata"]["user_id"] = user.pk
        fake_stripe.put_subscription(current)
        events.append(fake_stripe.subscription_event(SUB_ID))
    rng = random.Random(seed)
    deliveries = [e for e in events for _ in range(rng.randint(1, 3))]
    rng.shuffle(deliveries)
    for event in deliveries:
        assert post_event(Client(), event).status_code == 200

    row = Subscription.objects.get(user=user)
    assert (row.status, row.pause_resumes_at, row.ended_at) == (SubscriptionStatus.CANCELLED, None, at(int(now)))
    assert _events(user, EventName.SUBSCRIPTION_CANCELLED) == 1
    assert len(_rows(user, EmailTemplate.WINBACK)) == 1
    assert len(_rows(user, EmailTemplate.CANCELLATION_CONFIRMED, status=None)) <= 1
    assert _rows(user, EmailTemplate.RENEWAL_REMINDER) == []
