"""The Prometheus exposition at /metrics: request metrics (django-prometheus) and the product's own.

The product gauges are read from the database at scrape time (`ops.selectors.system_state`), so every web
instance reports the same numbers and nothing has to be counted in process memory. Request metrics live in
each process; under gunicorn they are aggregated across workers with prometheus_client's multiprocess mode
(`PROMETHEUS_MULTIPROC_DIR`, set up by config/gunicorn.py).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from config.provider_events import ProviderEventStatus
from emails.models import EmailStatus
from ops.selectors import system_state


class ProductCollector(Collector):
    """Email queue, drain, webhook backlog and rollup lag, as gauges."""

    def collect(self) -> Iterator[Metric]:
        state = system_state()
        queue = GaugeMetricFamily("syllabus_email_queue_rows", "Email queue rows by status.", labels=["status"])
        for status in EmailStatus.values:
            queue.add_metric([status], state.emails_by_status.get(status, 0))
        yield queue
        yield GaugeMetricFamily(
            "syllabus_email_oldest_due_age_seconds",
            "How long the oldest due, unsent email has waited (0 when none is due).",
            value=state.oldest_due_email_age,
        )
        yield GaugeMetricFamily(
            "syllabus_email_drain_throughput_per_second",
            "Emails sent per second over the last five minutes.",
            value=state.drain_throughput,
        )
        events = GaugeMetricFamily(
            "syllabus_webhook_events", "Stored provider webhook events by status.", labels=["provider", "status"]
        )
        age = GaugeMetricFamily(
            "syllabus_webhook_oldest_unprocessed_age_seconds",
            "How long the oldest received, not yet processed webhook event has waited (0 when none).",
            labels=["provider"],
        )
        for backlog in state.webhooks:
            for status in ProviderEventStatus.values:
                events.add_metric([backlog.provider, status], backlog.count(status))
            oldest = backlog.oldest_unprocessed_at
            age.add_metric([backlog.provider], max((state.now - oldest).total_seconds(), 0.0) if oldest else 0.0)
        yield events
        yield age
        lag = state.rollup_lag
        yield GaugeMetricFamily(
            "syllabus_analytics_rollup_lag_seconds",
            "Seconds since the hourly analytics rollup last finished (NaN: it never ran).",
            value=math.nan if lag is None else lag,
        )


def exposition() -> bytes:
    """The text format Prometheus scrapes: this process's (or every worker's) request metrics + the product's."""
    product = CollectorRegistry()
    product.register(ProductCollector())
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        workers = CollectorRegistry()
        multiprocess.MultiProcessCollector(workers)
        return generate_latest(workers) + generate_latest(product)
    return generate_latest(REGISTRY) + generate_latest(product)
