"""Stripe states for the retention tests, built from the lifecycle fixture around a given moment."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from tests.billing.stripe_events import post_event, subscription_state

DAY = 86_400
SUB_ID = "sub_1SyLbUsLifecycle000001"
CUSTOMER_ID = "cus_SyLbUs0Lifecycle1"


def state(
    user: Any,
    *,
    status: str = "active",
    now: float | None = None,
    started_days_ago: int = 1,
    period_days: int = 30,
    trial: bool = False,
    sub_id: str = SUB_ID,
) -> dict[str, Any]:
    """A monthly subscription for `user` whose current period began `started_days_ago` days before `now`."""
    now = time.time() if now is None else now
    data = subscription_state("active_month1", user_id=user.pk)
    start = int(now) - started_days_ago * DAY
    data.update(id=sub_id, status=status, created=start, start_date=start)
    item = data["items"]["data"][0]
    item.update(current_period_start=start, current_period_end=start + period_days * DAY, subscription=sub_id)
    if trial:
        data.update(trial_start=start, trial_end=start + period_days * DAY)
    return data


def at(unix: int) -> datetime:
    from datetime import UTC

    return datetime.fromtimestamp(unix, tz=UTC)


def deliver(client: Any, fake: Any, sub_id: str = SUB_ID, event_type: str = "customer.subscription.updated") -> Any:
    """Stripe sends `event_type` carrying its current state of the subscription; assert it was accepted."""
    response = post_event(client, fake.subscription_event(sub_id, event_type))
    assert response.status_code == 200, response.content
    return response
