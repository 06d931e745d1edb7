"""Benchmark: what production's worker recycling costs, with the app loaded in each worker and preloaded
in gunicorn's master (`preload_app`, config/gunicorn.py), side by side in one run.

    python -m bench.gunicorn_recycling                    # 2 rounds of 30 s per page and configuration
    python -m bench.gunicorn_recycling --rounds 1 --seconds 5

Production recycles each sync worker after `max_requests` (2,000, jittered by 200) to bound any slow leak.
A worker that loads the app itself re-imports Django and the project when it starts (~1 s of CPU on this
machine), taken from the workers still serving; a fork of a master that preloaded it starts at once. This
runs gunicorn exactly as production does — `-c config/gunicorn.py`, 5 workers, recycling at its production
default — in `bench.pages`' scratch database (a 10-lesson course, the subscriber signed in through the login
form), and for each page drives wrk with 10 connections, once with `GUNICORN_PRELOAD=0` and once with the
default, round after round. CPU per request is every web process's: the master, the live workers and the
workers recycled during the run (the master's reaped children, `cutime`/`cstime` in /proc); the pages run
no queries (kept pages, sessions from the cache), so PostgreSQL is left out. Results:
bench/results/gunicorn_recycling.json and the table printed; bench/README.md has the write-up.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path
from typing import Any

from bench import pages

RESULTS = Path(__file__).parent / "results" / "gunicorn_recycling.json"
PAGES = [("trivial, signed in", "/bench/trivial/"), ("outline", "/course/")]
MEDIANS = ("rps", "cpu_ms", "p99_ms", "workers_started")
CONFIGURATIONS = [("app loaded per worker", "0"), ("app preloaded (production)", "1")]


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.gunicorn_recycling", description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=30, help="per wrk run")
    parser.add_argument("--database", default=pages.DEFAULT_DATABASE)
    return parser.parse_args(argv)


def _web_cpu_seconds(master: int) -> float:
    """The master's CPU and its reaped children's (recycled workers), plus every live worker's."""
    try:
        fields = Path(f"/proc/{master}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK") + sum(pages._cpu_seconds(pid) for pid in pages._children(master))


def _measure(args: argparse.Namespace, wrk: str, env: dict[str, str], preload: str, path: str) -> dict[str, Any]:
    port = pages._free_port()
    log = RESULTS.with_name(f"gunicorn-recycling-{preload}.log.tmp")
    server = pages._gunicorn(env, port, log, recycling=True, extra={"GUNICORN_PRELOAD": preload})
    try:
        jar = pages._sign_in(port)
        pages._check(port, path, jar)
        pages._wrk(wrk, f"http://127.0.0.1:{port}{path}", jar, connections=pages.WORKERS, seconds=2)  # warm up
        booted, cpu = log.read_text().count("Booting worker"), _web_cpu_seconds(server.pid)
        result = pages._wrk(wrk, f"http://127.0.0.1:{port}{path}", jar, connections=10, seconds=args.seconds)
        cpu = _web_cpu_seconds(server.pid) - cpu
        recycled = log.read_text().count("Booting worker") - booted
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {
        "rps": result["rps"],
        "p50_ms": result["p50_ms"],
        "p99_ms": result["p99_ms"],
        "cpu_ms": 1000 * cpu / result["requests"],
        "workers_started": recycled,
        "requests": result["requests"],
    }


def main(argv: list[str] | None = None) -> int:
    args = _parse(sys.argv[1:] if argv is None else argv)
    wrk = pages._ensure_tool("wrk")
    env = pages._environment(args.database)
    pages._ensure_database(env, args.database)
    pages._django(env)
    pages._load_course(10)
    machine = pages._machine()
    runs: list[dict[str, Any]] = []
    for round_ in range(1, args.rounds + 1):
        for page, path in PAGES:
            for configuration, preload in CONFIGURATIONS:
                run = {"round": round_, "page": page, "configuration": configuration}
                run.update(_measure(args, wrk, env, preload, path))
                runs.append(run)
                print(
                    f"round {round_}  {page:<20} {configuration:<28} {run['rps']:7.0f} rps"
                    f"  CPU {run['cpu_ms']:5.2f} ms/req  p50 {run['p50_ms']:5.1f} ms  p99 {run['p99_ms']:5.1f} ms"
                    f"  workers started {run['workers_started']}",
                    flush=True,
                )
    machine["load_after"] = os.getloadavg()
    summary = []
    for page, _ in PAGES:
        for configuration, _ in CONFIGURATIONS:
            mine = [r for r in runs if r["page"] == page and r["configuration"] == configuration]
            row: dict[str, Any] = {"page": page, "configuration": configuration}
            row.update({k: statistics.median(r[k] for r in mine) for k in MEDIANS})
            summary.append(row)
            print(
                f"median  {page:<20} {configuration:<28} {row['rps']:7.0f} rps  CPU {row['cpu_ms']:5.2f} ms/req"
                f"  p99 {row['p99_ms']:5.1f} ms  workers started {row['workers_started']:.0f}",
                flush=True,
            )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        json.dumps({"machine": machine, "args": vars(args), "runs": runs, "summary": summary}, indent=2) + "\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
