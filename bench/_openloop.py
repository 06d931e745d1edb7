"""A constant-rate (open-loop) HTTP load: requests sent on a fixed schedule, evenly spaced, whether or
not earlier ones have been answered — what wrk2's `-R` does (Debian has no wrk2; wrk has no rate, and
hey's per-worker tickers fire in step, so its "fixed rate" arrives in bursts of as many requests as it
has workers, which measures the bursts rather than the page).

Each request's latency runs from its *scheduled* send time to the last byte of its answer, so a load
generator that fell behind counts against the page, never for it (no coordinated omission). A new
connection per request, as gunicorn's sync workers close each one anyway.
"""

from __future__ import annotations

import asyncio
import math
from typing import Any

Result = tuple[float, int, float]  # latency from the scheduled time, status (0: no answer), send lag


async def _one(host: str, port: int, payload: bytes, scheduled: float, results: list[Result]) -> None:
    loop = asyncio.get_running_loop()
    lag = loop.time() - scheduled
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout=10)
        writer.write(payload)
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), timeout=10)  # Connection: close — read to EOF
        writer.close()
    except (OSError, TimeoutError):
        results.append((loop.time() - scheduled, 0, lag))
        return
    status = int(answer[9:12]) if answer[:5] == b"HTTP/" else 0
    results.append((loop.time() - scheduled, status, lag))


async def _run(host: str, port: int, payload: bytes, rate: float, seconds: float) -> list[Result]:
    loop = asyncio.get_running_loop()
    results: list[Result] = []
    tasks: list[asyncio.Task[None]] = []
    start = loop.time() + 0.05
    for n in range(int(rate * seconds)):
        scheduled = start + n / rate
        delay = scheduled - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(_one(host, port, payload, scheduled, results)))
    await asyncio.gather(*tasks)
    return results


def constant_rate(
    host: str, port: int, path: str, cookies: dict[str, str] | None, *, rate: float, seconds: float
) -> dict[str, Any]:
    """GET `path` at `rate` requests/s for `seconds`: p50/p99 latency (ms), the statuses seen, and how late
    the generator sent its requests (p99 lag, ms: large means the machine, not the page, set the pace)."""
    return _summary(asyncio.run(_run(host, port, _payload(host, port, path, cookies), rate, seconds)))


def _payload(host: str, port: int, path: str, cookies: dict[str, str] | None) -> bytes:
    headers = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: close", "User-Agent: bench-openloop"]
    if cookies:
        headers.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in cookies.items()))
    return ("\r\n".join(headers) + "\r\n\r\n").encode()


def _summary(results: list[Result]) -> dict[str, Any]:
    return {
        "requests": len(results),
        "statuses": sorted({status for _, status, _ in results}),
        "p50_ms": _percentile([latency for latency, _, _ in results], 0.50),
        "p99_ms": _percentile([latency for latency, _, _ in results], 0.99),
        "lag_p99_ms": _percentile([lag for _, _, lag in results], 0.99),
    }


def _percentile(seconds: list[float], fraction: float) -> float:
    ordered = sorted(seconds)
    return 1000 * ordered[min(len(ordered) - 1, max(math.ceil(fraction * len(ordered)) - 1, 0))]


async def _sequential(host: str, port: int, payload: bytes, seconds: float) -> list[Result]:
    loop = asyncio.get_running_loop()
    results: list[Result] = []
    end = loop.time() + seconds
    while loop.time() < end:
        await _one(host, port, payload, loop.time(), results)
    return results


def one_at_a_time(host: str, port: int, path: str, cookies: dict[str, str] | None, *, seconds: float) -> dict[str, Any]:
    """GET `path` one request after another for `seconds` (one connection's worth): p50/p99 (ms), with
    the same client as `constant_rate`, so the two compare."""
    results = asyncio.run(_sequential(host, port, _payload(host, port, path, cookies), seconds))
    return _summary(results)
