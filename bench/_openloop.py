"""A constant-rate (open-loop) HTTP load for bench.pages: requests due on a fixed, evenly spaced schedule,
whether or not earlier ones have been answered — what wrk2's `-R` does. Debian has no wrk2; wrk has no
rate (its Lua `delay()` parks an open connection, which a sync gunicorn worker accepts and then waits on),
and hey's per-worker tickers fire in step, so its "fixed rate" arrives in bursts.

The client is `bench/openloop.c`, compiled here on first use with the machine's C compiler (nothing built
is committed). It is one epoll thread in C because the client shares the machine's two cores with the
server: the asyncio client it replaced (2026-12-02) fell behind its own schedule by 2 to 7 ms at p99.
Each request opens its own connection at its due time (gunicorn's sync workers close it after the
answer), and its latency runs from the due time to the last byte, so a client that fell behind counts
against the page, never for it (no coordinated omission).
"""

from __future__ import annotations

import atexit
import functools
import json
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

SOURCE = Path(__file__).with_name("openloop.c")


@functools.cache
def _binary() -> Path:
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        raise SystemExit("bench.pages needs a C compiler for its load client (Debian: apt-get install gcc)")
    folder = tempfile.mkdtemp(prefix="bench-openloop-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)  # the build goes with the benchmark's process
    binary = Path(folder) / "openloop"
    subprocess.run([compiler, "-O2", "-o", str(binary), str(SOURCE)], check=True)
    return binary


def _payload(host: str, port: int, path: str, cookies: dict[str, str] | None) -> bytes:
    headers = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: close", "User-Agent: bench-openloop"]
    if cookies:
        headers.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in cookies.items()))
    return ("\r\n".join(headers) + "\r\n\r\n").encode()


# Sent before the measured seconds and not counted, at the same rate (wrk2 calibrates for 10 s): the first
# second at a new rate runs slower while the server's processes settle (one 600/s run of the outline here:
# a mean of 6.4 ms over its first 0.2 s, 2 to 3 ms after its second second).
WARMUP_SECONDS = 1.0


def _run(host: str, port: int, path: str, cookies: dict[str, str] | None, *, rate: float, seconds: float) -> Any:
    binary = _binary()
    request = binary.with_name("request")
    request.write_bytes(_payload(host, port, path, cookies))
    output = subprocess.run(
        [str(binary), host, str(port), f"{rate:.3f}", f"{seconds:.3f}", str(request), str(WARMUP_SECONDS)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(output)


def constant_rate(
    host: str, port: int, path: str, cookies: dict[str, str] | None, *, rate: float, seconds: float
) -> dict[str, Any]:
    """GET `path` at `rate` requests/s for `seconds`: p50/p99/max latency (ms), the statuses seen (0: no
    answer), how late the client opened its connections (p99 lag, ms: the machine's own wake-up delay under
    this load, which the page's p99 cannot beat) and the client's CPU per request (ms)."""
    return dict(_run(host, port, path, cookies, rate=rate, seconds=seconds))


def one_at_a_time(host: str, port: int, path: str, cookies: dict[str, str] | None, *, seconds: float) -> dict[str, Any]:
    """GET `path` one request after another for `seconds` (one connection's worth) with the same client, so
    the two compare."""
    return dict(_run(host, port, path, cookies, rate=0, seconds=seconds))
