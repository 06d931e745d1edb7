"""The shared webhook-event protocol (config/provider_events.py), through the Stripe webhook: a failing
event is retried by the sweeper with backoff until FAILED; events whose task was lost are picked up;
a concurrent claim runs a handler once; an event of another API version is stored, flagged, processed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from billing import services
from billing.models import StripeEvent, StripeEventStatus, Subscription
from billing.tasks import stripe_events_sweep
from config import provider_events
from tests.billing.stripe_events import lifecycle_event, post_event, subscription_state

pytestmark = pytest.mark.django_db


def _stored() -> StripeEvent:
    return StripeEvent.objects.get()


def test_a_failing_event_is_retried_with_backoff_then_failed_for_the_admin(client: Any, fake_stripe: Any, user: Any):
    fake_stripe.put_subscription(subscription_state("active_month1", user_id=user.pk))
    fake_stripe.fail_next("GET", "/v1/subscriptions/", status=500, times=100)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert (
            post_event(client, lifecycle_event("02_customer.subscription.created", user_id=user.pk)).status_code == 200
        )
    event = _stored()
    assert (event.status, event.attempts) == (StripeEventStatus.RETRYING, 1)
    assert event.next_attempt_at == start + timedelta(minutes=1)

    # Not due yet: the sweeper leaves it alone.
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        assert stripe_events_sweep() == 0
    now = start
    for attempt in range(2, provider_events.MAX_ATTEMPTS + 1):
        now = _stored().next_attempt_at
        with time_machine.travel(now, tick=False):
            assert stripe_events_sweep() == 1
        event = _stored()
        assert event.attempts == attempt
        if attempt < provider_events.MAX_ATTEMPTS:
            assert event.status == StripeEventStatus.RETRYING
            assert event.next_attempt_at == now + provider_events.backoff(attempt)
    assert (event.status, event.next_attempt_at) == (StripeEventStatus.FAILED, None)
    assert "StripeUnavailable" in event.error
    with time_machine.travel(now + timedelta(days=1), tick=False):
        assert stripe_events_sweep() == 0  # final: only an operator's "reprocess" runs it again

    fake_stripe.failures.clear()
    client.force_login(_admin())
    response = client.post(
        "/admin/billing/stripeevent/",
        {"action": "reprocess", "_selected_action": [event.pk], "index": "0"},
        follow=True,
    )
    assert "Reprocessed: 1 processed." in response.content.decode()
    assert _stored().status == StripeEventStatus.PROCESSED
    assert Subscription.objects.get(user=user).stripe_status == "active"


def _admin() -> Any:
    from tests.accounts.factories import UserFactory

    return UserFactory(admin=True)


def test_an_event_whose_task_was_lost_is_queued_by_the_sweeper(fake_stripe: Any, user: Any) -> None:
    fake_stripe.put_subscription(subscription_state("active_month1", user_id=user.pk))
    payload = lifecycle_event("02_customer.subscription.created", user_id=user.pk)
    from billing.stripe_client import WebhookEvent, _ts

    event = WebhookEvent(
        id=payload["id"], type=payload["type"], created=_ts(payload["created"]), object=payload["data"]["object"],
        payload=payload,
    )  # fmt: skip
    stored = services.stripe_event_receive(event=event)  # stored; its task never ran (broker down)
    assert stripe_events_sweep() == 0  # just received: its own task may still be on its way
    with time_machine.travel(timezone.now() + provider_events.UNCLAIMED_GRACE + timedelta(seconds=1)):
        assert stripe_events_sweep() == 1
    stored.refresh_from_db()
    assert stored.status == StripeEventStatus.PROCESSED


def test_an_event_under_a_live_lease_is_not_run_twice(fake_stripe: Any, user: Any) -> None:
    fake_stripe.put_subscription(subscription_state("active_month1", user_id=user.pk))
    payload = lifecycle_event("02_customer.subscription.created", user_id=user.pk)
    from billing.stripe_client import WebhookEvent, _ts

    stored = services.stripe_event_receive(
        event=WebhookEvent(payload["id"], payload["type"], _ts(payload["created"]), payload["data"]["object"], payload)  # type: ignore[arg-type]
    )
    # Another worker claimed it a moment ago and is still running it.
    StripeEvent.objects.filter(pk=stored.pk).update(locked_until=timezone.now() + timedelta(minutes=5), attempts=1)
    assert services.stripe_event_process(stripe_event_pk=stored.pk).status == StripeEventStatus.RECEIVED
    assert fake_stripe.requests_to("GET", "/v1/subscriptions/") == []
    # That worker died: once its lease is over the event is due again.
    with time_machine.travel(timezone.now() + provider_events.LEASE + timedelta(seconds=1)):
        assert stripe_events_sweep() == 1
    stored.refresh_from_db()
    assert (stored.status, stored.attempts) == (StripeEventStatus.PROCESSED, 2)


def test_an_event_of_another_api_version_is_stored_flagged_and_processed(
    client: Any, fake_stripe: Any, user: Any, caplog: Any
) -> None:
    fake_stripe.put_subscription(subscription_state("active_month1", user_id=user.pk))
    event = lifecycle_event("02_customer.subscription.created", user_id=user.pk)
    event["api_version"] = "2024-06-20"
    assert post_event(client, event).status_code == 200
    stored = _stored()
    assert stored.api_version == "2024-06-20"
    assert stored.flag == "API version 2024-06-20 is not the pinned 2026-10-28.endive."
    assert stored.status == StripeEventStatus.PROCESSED
    assert "is not the pinned" in caplog.text
    client.force_login(_admin())
    page = client.get(f"/admin/billing/stripeevent/{stored.pk}/change/").content.decode()
    assert "is not the pinned 2026-10-28.endive" in page
    # The pinned version raises no flag.
    assert post_event(client, lifecycle_event("03_invoice.paid", user_id=user.pk)).status_code == 200
    assert StripeEvent.objects.get(type="invoice.paid").flag == ""
