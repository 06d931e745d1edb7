"""Every request has an id (X-Request-ID: the load balancer's, or a new one), returned to the client, on every
log line of the request, and carried into the Celery tasks the request queued: the worker's log lines of
that task name the same id."""

from __future__ import annotations

import json
import os
import re
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings

from emails.models import EmailQueue, EmailStatus, EmailTemplate
from tests.accounts.conftest import STRONG_PASSWORD
from tests.processes import celery_worker, publishing_to, wait_for

BROKER = urlunsplit(urlsplit(os.environ.get("EMAILS_WORKER_REDIS_URL") or settings.REDIS_URL)._replace(path="/6"))


@pytest.mark.django_db
def test_a_request_returns_the_id_it_was_given_or_a_new_one(client):
    given = uuid.uuid4().hex
    assert client.get("/pricing/", HTTP_X_REQUEST_ID=given)["X-Request-ID"] == given
    generated = client.get("/pricing/")["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    # Not an id: replaced, so a client cannot inject text into the logs.
    assert client.get("/pricing/", HTTP_X_REQUEST_ID="x\nFAKE LOG LINE")["X-Request-ID"] != "x\nFAKE LOG LINE"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_worker_logs_the_task_with_the_id_of_the_request_that_queued_it(client, tmp_path: Path):
    request_id = uuid.uuid4().hex
    log = tmp_path / "worker.log"
    with (
        publishing_to(BROKER),
        celery_worker(
            broker_url=BROKER,
            log=log,
            env={"LOG_FORMAT": "json", "EMAIL_URL": f"file://{tmp_path / 'mail'}", "CACHE_KEY_PREFIX": "ids-worker"},
        ),
    ):
        response = client.post(
            "/accounts/signup/",
            {"email": "traced@example.com", "password1": STRONG_PASSWORD, "password2": STRONG_PASSWORD},
            HTTP_X_REQUEST_ID=request_id,
        )
        assert response.status_code == 302
        welcome = EmailQueue.objects.get(user__email="traced@example.com", template=EmailTemplate.WELCOME)
        wait_for(lambda: EmailQueue.objects.get(pk=welcome.pk).status == EmailStatus.SENT, "WELCOME", log)

    records = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    # Every line logged while the task runs (its outcome included) names the request; the worker's
    # "received" line comes before the task's headers are read.
    [finished] = [
        r for r in records if r["message"].startswith("Task emails.tasks.email_send[") and "succeeded" in r["message"]
    ]
    assert finished["correlation_id"] == request_id
    assert {"time", "level", "logger", "message", "celery_current_id"} <= set(finished)
