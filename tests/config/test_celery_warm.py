"""The Celery worker's warm-up (`config.celery._worker_warm`, on `worker_init`): templates loaded, then
the process's objects frozen out of the garbage collector's full collections."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from celery.signals import worker_init

from config import celery
from emails import rendering


@pytest.fixture
def frozen() -> Iterator[None]:
    yield
    gc.unfreeze()  # the test process goes on collecting as before


def test_the_warm_up_is_connected_to_worker_init():
    assert any(receiver() is celery._worker_warm for _key, receiver in worker_init.receivers)


def test_the_warm_up_loads_the_email_templates_then_freezes_what_is_loaded(monkeypatch, frozen):
    calls: list[str] = []
    monkeypatch.setattr(rendering, "email_templates_warm", lambda: calls.append("templates"))
    before = gc.get_freeze_count()

    celery._worker_warm()

    assert calls == ["templates"]
    assert gc.get_freeze_count() > before


def test_a_warm_up_that_fails_leaves_the_worker_starting(monkeypatch, frozen, caplog):
    def broken() -> None:
        raise RuntimeError("template syntax error")

    monkeypatch.setattr(rendering, "email_templates_warm", broken)
    celery._worker_warm()  # no exception: the first drain pays for the warm-up instead
    assert "email templates not warmed up" in caplog.text
    assert gc.get_freeze_count() > 0
