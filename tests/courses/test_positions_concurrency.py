"""Two admins adding a lesson (or a module) at the same moment: each gets a position of its own.

The add view picks "after the last one" and saves in one transaction; the position is unique (checked at
commit). Without serializing the pick, both transactions read the same last position and the second one's
commit fails on the unique constraint — a 500 for that admin, and their lesson lost. Real transactions on two
database connections: the first holds its transaction open after picking, as a slow save would.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction

from courses import services
from courses.models import Lesson, Module
from tests.courses.factories import LessonFactory, ModuleFactory

pytestmark = pytest.mark.django_db(transaction=True)

HOLD_SECONDS = 0.5  # how long the first addition keeps its transaction open after picking its position


def _add_both(pick: Callable[[], int], create: Callable[[str, int], Any]) -> dict[str, Any]:
    """Run two additions in threads (a connection each); the second starts picking while the first holds its
    transaction open. Returns each one's position, or the exception its transaction ended with."""
    picked = threading.Event()
    results: dict[str, Any] = {}

    def add(name: str) -> None:
        try:
            if name == "second":
                picked.wait(10)
            with transaction.atomic():
                order = pick()
                if name == "first":
                    picked.set()
                    time.sleep(HOLD_SECONDS)
                create(name, order)
            results[name] = order
        except Exception as exc:  # noqa: BLE001 — the test reports what each addition ended with
            results[name] = exc
        finally:
            picked.set()
            connection.close()

    threads = [threading.Thread(target=add, args=(name,)) for name in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def test_two_lessons_added_at_once_get_positions_of_their_own() -> None:
    module = ModuleFactory()
    LessonFactory(module=module, order=1)
    other = LessonFactory(order=1)  # positions are per module: another module's additions do not wait

    results = _add_both(
        lambda: services.lesson_position_last(module.pk) + 1,
        lambda name, order: Lesson.objects.create(module=module, title=name, order=order),
    )

    assert results == {"first": 2, "second": 3}
    assert list(Lesson.objects.filter(module=module).order_by("order").values_list("order", flat=True)) == [1, 2, 3]
    assert Lesson.objects.get(pk=other.pk).order == 1


def test_two_modules_added_at_once_get_positions_of_their_own() -> None:
    ModuleFactory(order=4)

    results = _add_both(
        lambda: services.module_position_last() + 1,
        lambda name, order: Module.objects.create(title=name, order=order),
    )

    assert results == {"first": 5, "second": 6}
    assert sorted(Module.objects.values_list("order", flat=True)) == [4, 5, 6]


def test_the_first_module_of_all_added_twice_at_once() -> None:
    # No row to lock yet: the lock is on the scope, not on an existing row.
    results = _add_both(
        lambda: services.module_position_last() + 1,
        lambda name, order: Module.objects.create(title=name, order=order),
    )

    assert results == {"first": 1, "second": 2}


def test_a_reorder_waits_for_an_addition_in_the_same_module() -> None:
    module = ModuleFactory()
    a, b = LessonFactory(module=module, order=1), LessonFactory(module=module, order=2)
    added = threading.Event()
    outcome: dict[str, Any] = {}

    def add() -> None:
        try:
            with transaction.atomic():
                order = services.lesson_position_last(module.pk) + 1
                added.set()
                time.sleep(HOLD_SECONDS)
                Lesson.objects.create(module=module, title="new", order=order)
            outcome["add"] = order
        except Exception as exc:  # noqa: BLE001
            outcome["add"] = exc
        finally:
            added.set()
            connection.close()

    thread = threading.Thread(target=add)
    thread.start()
    added.wait(10)
    try:
        # Moves b to 3, the position the addition is about to take: it must see the new lesson and refuse.
        with pytest.raises(services.ReorderRefused):
            services.lessons_reorder(module_id=module.pk, orders={a.pk: 1, b.pk: 3})
    finally:
        thread.join(30)
    assert outcome == {"add": 3}
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.order, b.order) == (1, 2)
