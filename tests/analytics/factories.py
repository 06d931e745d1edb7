from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

import factory
from django.utils import timezone

from analytics.models import Event, EventName


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    event = EventName.LESSON_VIEWED
    session_id = factory.Sequence(lambda n: f"sess{n}")
    created_at = factory.LazyFunction(timezone.now)


NAMES = [name.value for name in EventName]
FUNNEL_NAMES = [
    "signup_completed",
    "onboarding_completed",
    "video_1_completed",
    "paywall_viewed",
    "subscription_started",
]


def random_events(*, rng: random.Random, now: datetime, count: int, users: list[Any], days: int = 40) -> list[Event]:
    """`count` events over the last `days` days: funnel steps over-represented, subscription_started with
    MONTHLY / ANNUAL / no plan / no properties, some anonymous; plus the edge instants of the 30-day window
    and of UTC midnights, where an off-by-one would show."""
    rows = []
    edges = [
        now - timedelta(days=30),  # excluded by the seed's `>`
        now - timedelta(days=30) + timedelta(microseconds=1),
        now,
    ]
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    edges += [midnight - timedelta(days=d) for d in range(0, 32)]
    edges += [midnight - timedelta(days=d, microseconds=1) for d in range(0, 32)]
    for i in range(count):
        name = rng.choice(FUNNEL_NAMES) if rng.random() < 0.6 else rng.choice(NAMES)
        properties: dict[str, Any] | None = None
        if name == "subscription_started":
            choice = rng.random()
            if choice < 0.5:
                properties = {"plan": "MONTHLY"}
            elif choice < 0.85:
                properties = {"plan": "ANNUAL"}
            elif choice < 0.93:
                properties = {"other": 1}
        elif rng.random() < 0.3:
            properties = {"lesson_id": f"lesson{rng.randint(1, 9)}"}
        created_at = (
            edges[i % len(edges)] if i < 3 * len(edges) else now - timedelta(seconds=rng.uniform(0, days * 86400))
        )
        user = rng.choice(users) if users and rng.random() < 0.8 else None
        rows.append(
            Event(
                event=name, user=user, session_id=f"s{rng.randint(1, 50)}", properties=properties, created_at=created_at
            )
        )
    return Event.objects.bulk_create(rows)
