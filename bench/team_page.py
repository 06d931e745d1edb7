"""Benchmark: the team page `/team/` as its team grows — server time per request and queries per request
at 2, 50 and 500 members (each with progress), so "constant queries" is shown to mean flat time too.

    python -m bench.team_page                      # 2, 50, 500 members; 30 requests each
    python -m bench.team_page --members 2 500 2000 --requests 50

Works in a scratch PostgreSQL database of its own (`bench_syllabus_teams` next to DATABASE_URL's; never a
test database): migrates it, loads the demo course, then per size builds one team (its admin plus members,
each with a few completed lessons and pending invitations) and requests `/team/` as the admin through
Django's test client (the full middleware stack, templates rendered; no network). Reports the median and
95th-percentile wall time, the process CPU time per request and the query count. Results print as a table
and go to bench/results/team_page.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

DEFAULT_DATABASE = "bench_syllabus_teams"
RESULTS = Path(__file__).parent / "results" / "team_page.json"


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.team_page", description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, nargs="+", default=[2, 50, 500])
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    return parser.parse_args(argv)


def _team(size: int) -> Any:
    from datetime import timedelta

    from django.utils import timezone

    from accounts.models import User
    from billing.models import Subscription, SubscriptionPlan, SubscriptionStatus
    from courses.selectors import published_lessons
    from progress.models import LessonProgress
    from teams.models import Team, TeamInvitation, TeamMembership, TeamRole

    lessons = list(published_lessons())
    tag = f"bench{size}-{time.time_ns()}"
    admin = User.objects.create_user(email=f"admin-{tag}@example.com", password=None, onboarding_complete=True)
    team = Team.objects.create(name=f"Bench {size}", billing_contact=admin)
    Subscription.objects.create(
        team=team,
        stripe_customer_id=f"cus_{tag}",
        stripe_subscription_id=f"sub_{tag}",
        status=SubscriptionStatus.ACTIVE,
        stripe_status="active",
        plan=SubscriptionPlan.MONTHLY,
        quantity=size + 10,
        current_period_start=timezone.now(),
        current_period_end=timezone.now() + timedelta(days=30),
    )
    users = User.objects.bulk_create(
        [User(email=f"m{i}-{tag}@example.com", onboarding_complete=True) for i in range(size - 1)]
    )
    TeamMembership.objects.bulk_create(
        [TeamMembership(team=team, user=admin, role=TeamRole.ADMIN)]
        + [TeamMembership(team=team, user=u) for u in users]
    )
    LessonProgress.objects.bulk_create(
        [
            LessonProgress(user=u, lesson=lessons[j], completed=True)
            for i, u in enumerate(users)
            for j in range(i % (len(lessons) + 1))
        ]
    )
    TeamInvitation.objects.bulk_create(
        [
            TeamInvitation(team=team, email=f"inv{i}-{tag}@example.com", expires_at=timezone.now() + timedelta(days=9))
            for i in range(5)
        ]
    )
    return admin


def _measure(size: int, requests: int) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    admin = _team(size)
    client = Client()
    client.force_login(admin)
    client.get("/team/")  # warm: template cache, connection
    walls, cpus = [], []
    for _ in range(requests):
        wall, cpu = time.perf_counter(), time.process_time()
        response = client.get("/team/")
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        assert response.status_code == 200 and response.content.count(b"data-member=") == size
    with CaptureQueriesContext(connection) as queries:
        client.get("/team/")
    walls.sort()
    return {
        "members": size,
        "requests": requests,
        "median_ms": round(1000 * statistics.median(walls), 1),
        "p95_ms": round(1000 * walls[int(0.95 * (len(walls) - 1))], 1),
        "cpu_ms_per_request": round(1000 * statistics.median(cpus), 1),
        "queries": len(queries),
    }


def main(argv: list[str] | None = None) -> int:
    args = _parse(list(argv) if argv is not None else sys.argv[1:])
    if not args.database.startswith("bench_"):
        raise SystemExit("The scratch database's name must start with bench_.")
    from bench.email_drain import _django, _ensure_database, _machine

    os.environ.setdefault("CACHE_KEY_PREFIX", "teams-bench")
    _django(args.database)
    from django.core.management import call_command
    from django.db import connection

    connection.close()
    _ensure_database(args.database)
    call_command("migrate", verbosity=0)
    from courses.services import demo_course_load

    demo_course_load()
    machine = _machine()
    cases = []
    for size in args.members:
        case = _measure(size, args.requests)
        cases.append(case)
        print(
            f"/team/ with {size:>5} members: median {case['median_ms']:>7} ms, p95 {case['p95_ms']:>7} ms, "
            f"CPU {case['cpu_ms_per_request']:>6} ms, {case['queries']} queries (load {os.getloadavg()[0]:.1f})",
            flush=True,
        )
    machine["load_average_at_end"] = os.getloadavg()
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"machine": machine, "cases": cases}, indent=2) + "\n")
    print(f"written to {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
