"""In Chromium, one learner's whole journey: cancel → pause offer → accept → resume; cancel → confirm → resume.
Stripe (the fake) records each change; the page shows it only after the webhook the test delivers."""

from __future__ import annotations

import pytest
from django.test import Client

from billing.models import CancelFlow, CancelOutcome, Subscription
from tests.billing.retention_helpers import SUB_ID, deliver, state
from tests.conftest import browser_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _say_why(page, reason: str) -> None:
    page.get_by_label(reason).check()
    page.get_by_label("Anything else you'd like to tell us?").fill("Exam season")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Would one of these help?").wait_for()


def test_cancel_offer_accept_resume_then_cancel_confirm_resume(browser_page, live_server, fake_stripe, user, course):
    page = browser_page
    fake_stripe.put_subscription(state(user))
    deliver(Client(), fake_stripe, event_type="customer.subscription.created")
    browser_sign_in(page, live_server, user)

    # Cancel → the pause offer → accept.
    page.goto("/account/")
    page.get_by_role("link", name="Pause or cancel membership").click()
    assert page.get_by_text("0 of 6 lessons").is_visible()
    assert page.get_by_role("link", name=f"Resume “{course['lessons'][0].title}”").is_visible()
    _say_why(page, "I don't have time right now")
    page.get_by_label("Take a break").select_option("2")
    page.get_by_role("button", name="Pause my membership").click()
    page.get_by_text("You chose to pause for 2 months").wait_for()
    assert (
        fake_stripe.requests_to("POST", f"/v1/subscriptions/{SUB_ID}")[-1].params["pause_collection[behavior]"]
        == "void"
    )

    deliver(Client(), fake_stripe)  # Stripe confirms
    page.reload()
    assert page.get_by_role("heading", name="Your membership pauses on").is_visible()
    page.get_by_role("button", name="Resume subscription now").click()
    page.get_by_text("Your membership is resuming").wait_for()
    deliver(Client(), fake_stripe)
    page.reload()
    assert page.get_by_role("heading", name="Before you go: why are you leaving?").is_visible()

    # Cancel → no thanks → confirmed at period end → resume.
    _say_why(page, "It costs too much")
    page.get_by_role("button", name="No thanks, cancel at the end of my billing period").click()
    page.get_by_text("Your cancellation request is in.").wait_for()
    deliver(Client(), fake_stripe)
    page.reload()
    assert page.get_by_role("heading", name="Your membership ends on").is_visible()
    page.get_by_role("button", name="Resume subscription").click()
    page.get_by_text("Your membership will carry on as before").wait_for()
    deliver(Client(), fake_stripe)
    page.reload()
    assert page.get_by_role("heading", name="Before you go: why are you leaving?").is_visible()

    assert list(CancelFlow.objects.order_by("created_at").values_list("outcome", "detail")) == [
        (CancelOutcome.PAUSED, "Exam season"),
        (CancelOutcome.CANCELLED, "Exam season"),
    ]
    row = Subscription.objects.get(user=user)
    assert not row.cancel_at_period_end and row.pause_resumes_at is None
