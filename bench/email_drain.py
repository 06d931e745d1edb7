"""Benchmark: the email queue drain, rows per second with 1 and 4 workers, beside the raw
`SELECT … FOR UPDATE SKIP LOCKED` claim rate measured in the same run.

    python -m bench.email_drain                       # 2,000 rows, 1 and 4 workers
    python -m bench.email_drain --rows 5000 --workers 1 2 4 --repeat 3
    python -m bench.email_drain --workers 1 --modes claim drain --send-chunk 10 25 50 --repeat 3

Works in a scratch PostgreSQL database of its own (`bench_syllabus_emails` next to DATABASE_URL's;
never a test database): migrates it, loads the demo course and a few hundred learners, then for each
worker count queues `--rows` due rows (a mix of transactional and marketing templates) and runs:

- claim: each worker loops "claim a batch (SKIP LOCKED + lease) → mark it SENT in one UPDATE", i.e.
  the queue mechanics alone: what the database can hand out (`email_queue_claim`, `--batch-size` rows);
- claim+commit per row: a transaction per row with nothing inside it (lock the row, update it, commit),
  the floor that one commit per row sets;
- drain: each worker runs `emails.drain.email_queue_drain` until nothing is due — per chunk of `SEND_CHUNK`
  rows one transaction: pick and lock the due rows (`SELECT … FOR UPDATE SKIP LOCKED … LIMIT SEND_CHUNK`, no
  claim or lease of its own), one query for their recipients and every guard's data, every part rendered,
  sending through Django's locmem backend (no network; it builds each MIME message as the SMTP backend does,
  without the socket), the rows' UPDATE and their EmailLogs' INSERT, one commit. `--send-chunk 10 25 50`
  measures several chunk sizes in the same run (`--batch-size` does not apply to it).

Every case runs once per round and the rounds follow each other (`--repeat`), so a drain run sits next
to the claim run it is compared with and both see the same load; each drain run reports its rate as a
percentage of that round's claim rate, and the summary gives medians over the rounds.

Workers are separate processes (spawned, each with its own database connection), started together
behind a barrier; the rate is rows / (last worker's end - first worker's start). Before the barrier each
worker warms up as a Celery worker does before its first task (`config.celery._worker_warm`: email
templates and URLconf loaded, then `gc.freeze()`): a real worker drains for days, these for seconds, and
a cold start would charge ≈ 0.5 s of imports to the first 2,000 rows (`--cold` measures that start). After
seeding, the queue and log tables are `VACUUM ANALYZE`d, as autovacuum keeps a real queue (`--no-vacuum`:
not, as before 2026-12-02). After each case the
run checks that every row was handled exactly once (drain: one SENT EmailLog per row, as many messages
as rows). CPU per row (the workers' own, and their PostgreSQL backends' read from /proc) is reported
beside the rate: unlike rows/s it barely depends on what else the machine is doing. Results print as a
table and go to bench/results/email_drain.json.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench._scratch import scratch_database_ensure

DEFAULT_DATABASE = "bench_syllabus_emails"
RESULTS = Path(__file__).parent / "results" / "email_drain.json"
LEARNERS = 200
# What a busy day's queue looks like: mostly transactional mail, some marketing with its guards.
MODES = ("claim", "claim+commit per row", "drain")
TEMPLATE_MIX = ["WELCOME", "MODULE_COMPLETE", "PAYMENT_FAILED", "ABANDONMENT_1", "START_JOURNEY", "INACTIVE_NUDGE"]


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.email_drain", description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--batch-size", type=int, default=50)
    parser.add_argument(
        "--send-chunk",
        type=int,
        nargs="+",
        default=None,
        help="drain chunk sizes to measure (rows per lock and commit; default: emails.drain.SEND_CHUNK)",
    )
    parser.add_argument("--repeat", type=int, default=1, help="rounds of every case (medians reported)")
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES), help="cases to run (default: all)")
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    parser.add_argument(
        "--no-vacuum",
        action="store_true",
        help="seed without VACUUM ANALYZE of the queue and log tables, as this bench did before 2026-12-02",
    )
    parser.add_argument(
        "--cold",
        action="store_true",
        help="start workers cold (no warm-up before the start line), as this bench did before 2026-12-02",
    )
    return parser.parse_args(argv)


def _django(database: str) -> None:
    """Set Django up on the scratch database (in the parent and in every worker process)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")  # PostgreSQL, locmem email
    os.environ.setdefault("CACHE_KEY_PREFIX", "emails-bench")
    import django

    django.setup()
    from django.db import connection

    connection.close()
    connection.settings_dict["NAME"] = database


def _ensure_database(database: str) -> None:
    from django.db import connection

    scratch_database_ensure(connection.settings_dict, database)


def _worker(
    database: str, mode: str, batch_size: int, send_chunk: int | None, warm: bool, barrier: Any, results: Any
) -> None:
    _django(database)
    from django.core import mail
    from django.db import connection, transaction

    from emails import drain
    from emails.drain import email_queue_claim, email_queue_drain
    from emails.models import EmailQueue, EmailStatus

    if send_chunk is not None:
        drain.SEND_CHUNK = send_chunk

    if warm:
        # What a Celery worker does before its first task (`worker_init`): templates and URLconf loaded, then
        # the garbage collector told to leave them alone. A worker drains for days; this bench's for seconds.
        from config.celery import _worker_warm

        _worker_warm()
    connection.ensure_connection()  # connect before the start line, not inside the measurement
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend_pid = cursor.fetchone()[0]
    barrier.wait()
    started, cpu_started, db_cpu_started = time.time(), time.process_time(), _cpu_seconds(backend_pid)
    handled = 0
    if mode == "claim":
        while True:
            claim = email_queue_claim(limit=batch_size)
            if not claim.ids:
                break
            handled += EmailQueue.objects.filter(pk__in=claim.ids, lock_token=claim.token).update(
                status=EmailStatus.SENT, locked_until=None, lock_token=""
            )
    elif mode == "claim+commit per row":
        # The drain's transaction shape without guards, rendering or sending: lock, update, commit, per row.
        while True:
            claim = email_queue_claim(limit=batch_size)
            if not claim.ids:
                break
            for queue_id in claim.ids:
                with transaction.atomic():
                    row = EmailQueue.objects.select_for_update().filter(pk=queue_id, lock_token=claim.token).first()
                    if row is not None:
                        row.status, row.locked_until, row.lock_token = EmailStatus.SENT, None, ""
                        row.save(update_fields=["status", "locked_until", "lock_token"])
                        handled += 1
    else:
        # One drain call stops at its time budget; a worker keeps calling until nothing is due.
        # Its chunks are `SEND_CHUNK` rows (`--send-chunk`); `--batch-size` is the claim modes' batch.
        while outcome := email_queue_drain():
            handled += outcome.get(EmailStatus.SENT, 0) + outcome.get(EmailStatus.CANCELLED, 0)
    ended, cpu, db_cpu = time.time(), time.process_time() - cpu_started, _cpu_seconds(backend_pid) - db_cpu_started
    results.put(
        {
            "handled": handled,
            "messages": len(getattr(mail, "outbox", [])),
            "started": started,
            "ended": ended,
            "worker_cpu": cpu,
            "db_cpu": db_cpu,
        }
    )
    connection.close()


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a local process, e.g. this worker's PostgreSQL backend; 0 if unreadable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def _seed(rows: int, *, vacuum: bool = True) -> None:
    from django.utils import timezone

    from emails.models import EmailLog, EmailQueue

    EmailLog.objects.all().delete()
    EmailQueue.objects.all().delete()
    users = list(_learners())
    due = timezone.now() - timedelta(minutes=1)
    EmailQueue.objects.bulk_create(
        [
            EmailQueue(
                user_id=users[i % len(users)].pk,
                template=TEMPLATE_MIX[i % len(TEMPLATE_MIX)],
                scheduled_for=due,
                data={"module_title": "Foundations", "last_login_at": due.isoformat()},
                idempotency_key=f"bench:{i}",
            )
            for i in range(rows)
        ],
        batch_size=1000,
    )
    if vacuum:
        # What autovacuum does for a real queue: the last case's dead rows gone and fresh statistics. The
        # server this bench was first run on has autovacuum off, so without this every case adds 2,000 dead
        # rows and the planner goes on believing the previous case's counts (all SENT, say).
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE emails_emailqueue, emails_emaillog")


def _learners() -> Any:
    from accounts.models import User

    missing = LEARNERS - User.objects.filter(email__startswith="bench-learner").count()
    if missing > 0:
        User.objects.bulk_create(
            [
                User(email=f"bench-learner{n}-{time.time_ns()}@example.com", name=f"Learner {n}", password="!")
                for n in range(missing)
            ]
        )
    return User.objects.filter(email__startswith="bench-learner")


def _verify(mode: str, rows: int, outcomes: list[dict[str, Any]]) -> dict[str, Any]:
    from django.db.models import Count

    from emails.models import EmailLog, EmailQueue, EmailStatus

    handled = sum(o["handled"] for o in outcomes)
    if handled != rows or EmailQueue.objects.filter(status=EmailStatus.PENDING).exists():
        raise SystemExit(f"{mode}: {handled} of {rows} rows handled, or some left PENDING")
    checks: dict[str, Any] = {"rows_handled": handled}
    if mode == "drain":
        logs = EmailLog.objects.values("queue_item").annotate(n=Count("pk"))
        if logs.count() != rows or logs.filter(n__gt=1).exists():
            raise SystemExit(f"drain: rows without exactly one EmailLog ({logs.count()} of {rows})")
        sent = EmailQueue.objects.filter(status=EmailStatus.SENT).count()
        messages = sum(o["messages"] for o in outcomes)
        if messages != sent:
            raise SystemExit(f"drain: {messages} messages for {sent} SENT rows")
        checks |= {"sent": sent, "cancelled_by_guards": rows - sent, "messages": messages}
    return checks


def _run_case(
    database: str,
    mode: str,
    workers: int,
    rows: int,
    batch_size: int,
    send_chunk: int | None = None,
    *,
    warm: bool = True,
    vacuum: bool = True,
) -> dict[str, Any]:
    _seed(rows, vacuum=vacuum)
    from django.db import connection

    connection.close()  # children open their own; the parent's idle connection is irrelevant
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(workers)
    results = context.Queue()
    processes = [
        context.Process(target=_worker, args=(database, mode, batch_size, send_chunk, warm, barrier, results))
        for _ in range(workers)
    ]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=1800) for _ in processes]
    for process in processes:
        process.join()
        if process.exitcode:
            raise SystemExit(f"a {mode} worker exited with {process.exitcode}")
    elapsed = max(o["ended"] for o in outcomes) - min(o["started"] for o in outcomes)
    return {
        "seconds": round(elapsed, 2),
        "rows_per_second": round(rows / elapsed, 1),
        # Load-independent cost: CPU per row in the workers and in their PostgreSQL backends.
        "worker_cpu_ms_per_row": round(1000 * sum(o["worker_cpu"] for o in outcomes) / rows, 2),
        "postgres_cpu_ms_per_row": round(1000 * sum(o["db_cpu"] for o in outcomes) / rows, 2),
        "per_worker": [o["handled"] for o in outcomes],
        **_verify(mode, rows, outcomes),
    }


def _machine() -> dict[str, Any]:
    from django.db import connection

    cpu = ""
    try:
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        cpu = platform.processor()
    with connection.cursor() as cursor:
        cursor.execute("SELECT version(), current_setting('synchronous_commit'), current_setting('shared_buffers')")
        version, synchronous_commit, shared_buffers = cursor.fetchone()
    memory_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(memory_gb, 1),
        "python": platform.python_version(),
        "postgresql": version.split(" on ")[0],
        "synchronous_commit": synchronous_commit,
        "shared_buffers": shared_buffers,
        "load_average_at_start": os.getloadavg(),
    }


def main(argv: list[str] | None = None) -> int:
    args = _parse(list(argv) if argv is not None else sys.argv[1:])
    if not args.database.startswith("bench_"):
        raise SystemExit("The scratch database's name must start with bench_ (its queue is emptied).")
    _django(args.database)
    from django.core.management import call_command
    from django.db import connection

    connection.close()
    _ensure_database(args.database)
    call_command("migrate", verbosity=0)
    from courses.services import demo_course_load

    demo_course_load()
    machine = _machine()

    # Every case once per round, rounds one after the other: a drain run sits next to the claim run it is
    # compared with, so both see the same load; medians over the rounds.
    plan: list[tuple[str, str, int | None]] = [(m, m, None) for m in args.modes if m != "drain"]
    if "drain" in args.modes:
        chunks: list[int | None] = list(args.send_chunk or [None])
        plan += [(f"drain (chunk {c})" if args.send_chunk else "drain", "drain", c) for c in chunks]
    cases: dict[str, Any] = {}
    for workers in args.workers:
        label = f"{workers} worker{'s' if workers > 1 else ''}"
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name, _, _ in plan}
        for round_ in range(1, args.repeat + 1):
            for name, mode, chunk in plan:
                run = _run_case(
                    args.database,
                    mode,
                    workers,
                    args.rows,
                    args.batch_size,
                    chunk,
                    warm=not args.cold,
                    vacuum=not args.no_vacuum,
                )
                run["load_average"] = round(os.getloadavg()[0], 1)
                runs[name].append(run)
                if mode == "drain" and runs.get("claim"):
                    run["percent_of_claim_same_round"] = round(
                        100 * run["rows_per_second"] / runs["claim"][-1]["rows_per_second"], 1
                    )
                print(
                    f"round {round_} {name:>20} {label}: {run['rows_per_second']:>8.1f} rows/s "
                    f"({args.rows} rows in {run['seconds']} s; per worker {run['per_worker']}; CPU/row "
                    f"{run['worker_cpu_ms_per_row']} ms worker + {run['postgres_cpu_ms_per_row']} ms PostgreSQL; "
                    f"load {run['load_average']}"
                    + (
                        f"; {run['percent_of_claim_same_round']} % of claim"
                        if "percent_of_claim_same_round" in run
                        else ""
                    )
                    + ")",
                    flush=True,
                )
        for name, case_runs in runs.items():
            median = statistics.median(r["rows_per_second"] for r in case_runs)
            best = min(case_runs, key=lambda r: abs(r["rows_per_second"] - median))
            summary: dict[str, Any] = {**best, "runs": len(case_runs)}
            summary["worker_cpu_ms_per_row"] = statistics.median(r["worker_cpu_ms_per_row"] for r in case_runs)
            summary["postgres_cpu_ms_per_row"] = statistics.median(r["postgres_cpu_ms_per_row"] for r in case_runs)
            summary["rows_per_second_all_runs"] = [r["rows_per_second"] for r in case_runs]
            ratios = [r["percent_of_claim_same_round"] for r in case_runs if "percent_of_claim_same_round" in r]
            if ratios:
                summary["percent_of_claim_same_round"] = statistics.median(ratios)
                summary["percent_of_claim_all_rounds"] = ratios
            cases[f"{name}, {label}"] = summary
            print(
                f"median {name:>20} {label}: {median:>8.1f} rows/s; "
                f"CPU/row {summary['worker_cpu_ms_per_row']} ms worker"
                f" + {summary['postgres_cpu_ms_per_row']} ms PostgreSQL"
                + (f"; {summary['percent_of_claim_same_round']} % of claim (per round {ratios})" if ratios else ""),
                flush=True,
            )
    machine["load_average_at_end"] = os.getloadavg()
    report = {
        "rows": args.rows,
        "batch_size": args.batch_size,
        "send_chunk": args.send_chunk,
        "workers_warmed_up": not args.cold,
        "vacuum_after_seeding": not args.no_vacuum,
        "machine": machine,
        "cases": cases,
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(machine, indent=2))
    print(f"written to {RESULTS.relative_to(Path.cwd()) if RESULTS.is_relative_to(Path.cwd()) else RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
