"""Benchmark: Stripe webhook response time under 8 concurrent deliveries while the Stripe API hangs.

    python -m bench.webhooks                     # 8 senders x 50 signed deliveries
    python -m bench.webhooks --senders 8 --per-sender 100 --web-workers 2

Starts the real production shape on this machine: gunicorn (sync workers) on a spare port, a private
redis-server as the broker, a Celery worker, and the local fake Stripe (tests/billing/fake_stripe.py)
with every subscription read hanging — a Stripe brownout. Works in a scratch PostgreSQL database of
its own (`bench_syllabus_webhooks`, created next to DATABASE_URL's; never a test database).

Each sender thread posts distinct, correctly signed `customer.subscription.updated` events (Stripe's
scheme, as in tests/billing/stripe_events.py) and times each answer. Reported: p50/p95/p99/max
latency, every status code, and — to show no web worker is blocked — how many subscription reads the
Celery worker has left hanging at Stripe while the web answered, plus a /healthz answered during the
run. Results print and go to bench/results/webhooks.json.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.client
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from bench._scratch import scratch_database_ensure

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE = "bench_syllabus_webhooks"
RESULTS = Path(__file__).parent / "results" / "webhooks.json"
WEBHOOK_SECRET = "whsec_bench_webhooks"
STRIPE_KEY = "sk_test_syllabus"  # what the fake Stripe accepts


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.webhooks", description=__doc__.split("\n")[0])
    parser.add_argument("--senders", type=int, default=8)
    parser.add_argument("--per-sender", type=int, default=50)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    return parser.parse_args(argv)


def _database_url(database: str) -> str:
    import dj_database_url

    base = dj_database_url.parse(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/syllabus"))
    password = f":{base['PASSWORD']}" if base.get("PASSWORD") else ""
    return f"postgres://{base['USER']}{password}@{base['HOST'] or '127.0.0.1'}:{base['PORT'] or 5432}/{database}"


def _ensure_database(url: str, database: str) -> None:
    scratch_database_ensure(url, database)


def _spare_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait(condition: Any, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise SystemExit(f"timed out waiting for {what}")


def _signed_event(n: int, created: int) -> tuple[bytes, str]:
    event = {
        "id": f"evt_bench{uuid.uuid4().hex}",
        "object": "event",
        "api_version": "2026-10-28.endive",
        "created": created,
        "type": "customer.subscription.updated",
        "livemode": False,
        "data": {"object": {"id": f"sub_bench{n:06d}", "object": "subscription", "status": "active"}},
    }
    body = json.dumps(event).encode()
    t = int(time.time())
    digest = hmac.new(WEBHOOK_SECRET.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return body, f"t={t},v1={digest}"


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _cpu_seconds(root_pid: int) -> float:
    """User + system CPU of a process's children (the gunicorn workers), from /proc."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == root_pid:  # ppid
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _request(port: int, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def main(argv: list[str]) -> int:
    args = _parse(argv)
    sys.path.insert(0, str(BASE_DIR))
    from tests.billing.fake_stripe import start_fake_stripe

    url = _database_url(args.database)
    _ensure_database(url, args.database)
    run = BASE_DIR / ".run" / "bench-webhooks"
    run.mkdir(parents=True, exist_ok=True)
    fake, fake_server = start_fake_stripe()
    fake.hang("GET", "/v1/subscriptions/")  # the brownout: every subscription read waits
    redis_port, web_port = _spare_port(), _spare_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DJANGO_DEBUG": "false",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": url,
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "CACHE_KEY_PREFIX": "bench-webhooks",
        "STRIPE_SECRET_KEY": STRIPE_KEY,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_API_BASE": fake.url,
        "STRIPE_MAX_NETWORK_RETRIES": "0",
        "STRIPE_TIMEOUT_SECONDS": "30",
        "LOG_LEVEL": "WARNING",
    }
    processes: list[subprocess.Popen[bytes]] = []
    logs = {name: (run / f"{name}.log").open("w") for name in ("redis", "web", "worker")}
    try:
        processes.append(
            subprocess.Popen(
                ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                stdout=logs["redis"],
                stderr=subprocess.STDOUT,
            )
        )
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], env=env, cwd=BASE_DIR, check=True)
        processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--loglevel=WARNING"],
                env=env,
                cwd=BASE_DIR,
                stdout=logs["worker"],
                stderr=subprocess.STDOUT,
            )
        )
        processes.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "config.wsgi:application",
                    "--bind",
                    f"127.0.0.1:{web_port}",
                    "--workers",
                    str(args.web_workers),
                    "--timeout",
                    "30",
                ],
                env=env,
                cwd=BASE_DIR,
                stdout=logs["web"],
                stderr=subprocess.STDOUT,
            )
        )

        def web_up() -> bool:
            try:
                return _request(web_port, "GET", "/healthz") == 200
            except OSError:
                return False

        _wait(web_up, "gunicorn and its /healthz")

        def deliver(n: int) -> int:
            body, signature = _signed_event(n, int(time.time()))
            headers = {"Content-Type": "application/json", "Stripe-Signature": signature}
            return _request(web_port, "POST", "/webhooks/stripe/", body, headers)

        for _ in range(2 * args.web_workers):  # warm every web worker (imports, first connection)
            deliver(0)

        # One sender alone first: the service time itself, with no queueing behind other deliveries.
        sequential = []
        for n in range(50):
            start = time.perf_counter()
            deliver(10_000 + n)
            sequential.append((time.perf_counter() - start) * 1000)

        gunicorn_pid = processes[-1].pid
        cpu_before = _cpu_seconds(gunicorn_pid)
        latencies: list[float] = []
        statuses: dict[int, int] = {}
        lock = threading.Lock()
        barrier = threading.Barrier(args.senders)

        def sender(index: int) -> None:
            barrier.wait()
            for k in range(args.per_sender):
                start = time.perf_counter()
                status = deliver(index * args.per_sender + k)
                elapsed = (time.perf_counter() - start) * 1000
                with lock:
                    latencies.append(elapsed)
                    statuses[status] = statuses.get(status, 0) + 1

        threads = [threading.Thread(target=sender, args=(i,)) for i in range(args.senders)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        health_during = _request(web_port, "GET", "/healthz")
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - started
        web_cpu = _cpu_seconds(gunicorn_pid) - cpu_before
        hanging_at_stripe = len(fake.hanging)

        load = os.getloadavg()
        result = {
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "machine": f"{os.cpu_count()} CPUs, {platform.platform()}, Python {platform.python_version()}",
            "load_average_1_5_15": [round(x, 2) for x in load],
            "senders": args.senders,
            "deliveries": len(latencies),
            "web_workers": args.web_workers,
            "statuses": statuses,
            "p50_ms": round(statistics.median(latencies), 1),
            "p95_ms": round(_percentile(latencies, 0.95), 1),
            "p99_ms": round(_percentile(latencies, 0.99), 1),
            "max_ms": round(max(latencies), 1),
            "deliveries_per_second": round(len(latencies) / wall, 1),
            "one_sender_alone_p50_ms": round(statistics.median(sequential), 1),
            "one_sender_alone_p99_ms": round(_percentile(sequential, 0.99), 1),
            "web_cpu_ms_per_delivery": round(web_cpu * 1000 / len(latencies), 1),
            "stripe_reads_hanging_in_the_celery_worker": hanging_at_stripe,
            "healthz_during_run": health_during,
        }
        print(json.dumps(result, indent=2))
        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.write_text(json.dumps(result, indent=2) + "\n")
        ok = statuses == {200: len(latencies)} and result["p99_ms"] < 100 and hanging_at_stripe >= 1
        print("goal (all 200, p99 < 100 ms, the worker — not the web — waiting on Stripe):", "met" if ok else "NOT met")
    finally:
        fake.release()
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        fake_server.shutdown()
        for log in logs.values():
            log.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
