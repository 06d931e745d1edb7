"""Signed-in lesson views go through the Redis buffer (analytics/buffer.py) and reach the events table when the
worker flushes it: with the view's own id and time, once each, also after a flush that died half-way; straight
to the table when Redis does not answer or nobody is signed in."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
import time_machine
from django.conf import settings
from django.utils import timezone

from analytics import buffer
from analytics.buffer import events_buffered_flush
from analytics.models import Event, EventName
from analytics.services import event_track_deferred
from analytics.tasks import analytics_events_flush
from config.celery import app
from tests.processes import celery_worker, publishing_to, redis_server, spare_port, wait_for


def _buffered() -> list[dict[str, Any]]:
    key, _ = buffer._keys()
    return [json.loads(raw) for raw in redis.Redis.from_url(settings.REDIS_URL).lrange(key, 0, -1)]


@pytest.mark.django_db
def test_a_lesson_view_is_buffered_then_written_with_its_own_id_and_time(client, subscriber, course):
    lesson = course["lessons"][1]
    client.force_login(subscriber)
    viewed_at = timezone.now().replace(microsecond=0)
    with time_machine.travel(viewed_at, tick=False):
        assert client.get(f"/lessons/{lesson.pk}/").status_code == 200
        assert client.get(f"/lessons/{lesson.pk}/").status_code == 200  # kept page: still recorded
    [first, second] = _buffered()
    assert not Event.objects.filter(event=EventName.LESSON_VIEWED).exists()

    with time_machine.travel(viewed_at + timedelta(seconds=5), tick=False):
        assert events_buffered_flush() == 2
    events = Event.objects.filter(event=EventName.LESSON_VIEWED).order_by("id")
    assert sorted(e.pk for e in events) == sorted([first["id"], second["id"]])
    for event in events:
        assert event.user_id == subscriber.pk
        assert event.created_at == viewed_at  # the view's time, not the flush's
        assert event.properties == {"lesson_id": lesson.pk, "module_id": lesson.module_id}
    assert _buffered() == []
    assert events_buffered_flush() == 0  # nothing new: nothing written


@pytest.mark.django_db
def test_a_flush_that_died_after_its_commit_writes_nothing_twice(subscriber):
    event_track_deferred(name=EventName.LESSON_VIEWED, user=subscriber, properties={"lesson_id": "a"})
    event_track_deferred(name=EventName.LESSON_VIEWED, user=subscriber, properties={"lesson_id": "b"})
    key, flushing = buffer._keys()
    client = redis.Redis.from_url(settings.REDIS_URL)
    rows = client.lrange(key, 0, -1)
    assert events_buffered_flush() == 2
    # What a flush leaves when it dies between its commit and dropping its list: the list, already written.
    client.rpush(flushing, *rows)
    event_track_deferred(name=EventName.LESSON_VIEWED, user=subscriber, properties={"lesson_id": "c"})

    assert events_buffered_flush() == 0  # the dead flush's list first: all of it already in the table
    assert events_buffered_flush() == 1  # then the buffer
    assert sorted(Event.objects.values_list("properties__lesson_id", flat=True)) == ["a", "b", "c"]
    assert not client.exists(flushing)


@pytest.mark.django_db
def test_a_learner_deleted_before_the_flush_leaves_an_anonymous_row(subscriber):
    event_track_deferred(name=EventName.LESSON_VIEWED, user=subscriber, properties={"lesson_id": "a"})
    subscriber.delete()  # their other events stay with the user cleared (Event.user is SET_NULL)

    assert events_buffered_flush() == 1
    [event] = Event.objects.all()
    assert event.user_id is None


@pytest.mark.django_db
def test_anonymous_and_unreachable_redis_are_recorded_at_once(settings, client, subscriber, course):
    event_track_deferred(name=EventName.LESSON_VIEWED, user=None, properties={"lesson_id": "anon"})
    assert Event.objects.filter(user=None, properties__lesson_id="anon").exists()
    assert _buffered() == []

    # Redis down (nothing listens on the port): the page still answers and the view is in the table at once.
    settings.REDIS_URL = f"redis://127.0.0.1:{spare_port()}/0"
    buffer._client.cache_clear()
    buffer._last_warning = 0.0
    try:
        client.force_login(subscriber)
        assert client.get(f"/lessons/{course['lessons'][1].pk}/").status_code == 200
        assert Event.objects.filter(user=subscriber, event=EventName.LESSON_VIEWED).count() == 1
    finally:
        buffer._client.cache_clear()


@pytest.mark.django_db
def test_an_unknown_event_name_still_raises(subscriber):
    with pytest.raises(ValueError, match="Unknown event name"):
        event_track_deferred(name="not_an_event", user=subscriber)


def test_the_beat_schedule_flushes_every_few_seconds_on_the_default_queue():
    entry = settings.CELERY_BEAT_SCHEDULE["analytics-events-flush"]
    assert entry["task"] == "analytics.tasks.analytics_events_flush"
    assert entry["schedule"] == settings.ANALYTICS_EVENT_FLUSH_SECONDS == 5
    # Not behind the hourly rollup on the analytics queue.
    assert app.amqp.router.route({}, "analytics.tasks.analytics_events_flush")["queue"].name == "default"
    assert app.amqp.router.route({}, "analytics.tasks.analytics_rollup")["queue"].name == "analytics"


# The worker test's own Redis database (emptied by `publishing_to`), as the emails worker tests do.
BROKER = os.environ.get("EMAILS_WORKER_REDIS_URL") or urlunsplit(urlsplit(settings.REDIS_URL)._replace(path="/5"))


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_writes_the_buffered_views(settings, client, subscriber, course, tmp_path):
    settings.REDIS_URL = BROKER  # the buffer lives in the Redis the worker reads
    buffer._client.cache_clear()
    prefix = settings.CACHES["default"]["KEY_PREFIX"]
    try:
        with publishing_to(BROKER):
            event_track_deferred(name=EventName.LESSON_VIEWED, user=subscriber, properties={"lesson_id": "w"})
            assert not Event.objects.exists()
            log = tmp_path / "worker.log"
            with celery_worker(broker_url=BROKER, log=log, env={"CACHE_KEY_PREFIX": prefix}):
                analytics_events_flush.delay()
                wait_for(lambda: Event.objects.filter(user=subscriber).exists(), "the flush to write the view", log)
        assert Event.objects.get(user=subscriber).properties == {"lesson_id": "w"}
    finally:
        buffer._client.cache_clear()


@contextmanager
def _own_client() -> Iterator[None]:
    """The buffer's per-URL client made for a private server is dropped with it."""
    try:
        yield
    finally:
        buffer._client.cache_clear()


@pytest.mark.django_db
def test_a_flush_while_redis_hangs_fails_fast_and_the_next_one_writes_every_view_once(settings, subscriber, tmp_path):
    # A private redis-server, paused with SIGSTOP (its socket stays open but nothing is answered, as a hung or
    # partitioned Redis does), then resumed.
    with redis_server(tmp_path) as server, _own_client():
        settings.REDIS_URL = server.url
        for lesson_id in ("a", "b"):
            event_track_deferred(name=EventName.LESSON_VIEWED, user=subscriber, properties={"lesson_id": lesson_id})
        assert redis.Redis.from_url(server.url).llen(buffer._keys()[0]) == 2
        assert server.process is not None
        server.process.send_signal(signal.SIGSTOP)
        try:
            started = time.monotonic()
            with pytest.raises(redis.RedisError):
                events_buffered_flush()  # the beat task raises; its next tick tries again
            assert time.monotonic() - started < 5  # the client's 0.5 s timeouts, no retries
            assert not Event.objects.filter(event=EventName.LESSON_VIEWED).exists()
        finally:
            server.process.send_signal(signal.SIGCONT)
        # The failed flush let go of its advisory lock, and the views were kept in Redis.
        assert events_buffered_flush() == 2
        viewed = Event.objects.filter(event=EventName.LESSON_VIEWED).values_list("properties__lesson_id", flat=True)
        assert sorted(viewed) == ["a", "b"]
        assert events_buffered_flush() == 0
