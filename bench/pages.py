"""Benchmark: every learner page as a user meets it — gunicorn with the production settings, wrk on
loopback, a subscriber signed in through the real login form — at 10 and at 1,000 published lessons.

    python -m bench.pages                          # 10 and 1,000 lessons, 3 rounds of 4 s per page
    python -m bench.pages --sizes 10 --rounds 1 --seconds 2 --no-readme

It works in a scratch PostgreSQL database of its own (`bench_syllabus_pages` next to DATABASE_URL's;
the name must start with `bench_`), migrates it and collects the static files, then for each course
size loads the course (modules of 50 lessons, two files per lesson, lesson 1 free; the subscriber has
completed half and has a resume position), starts gunicorn on a spare port as production does
(`-c config/gunicorn.py`: 5 sync workers, access log, request metrics in multiprocess mode; worker
recycling off while measuring; DEBUG off, PostgreSQL, Redis from REDIS_URL) and signs in through
/accounts/login/ with the CSRF token from the form. Each page is checked first (status, signed in, its
query count from a header the benchmark's settings add), warmed up, then measured `--rounds` times.

Reported per page (median of the rounds): requests/s from wrk with `--connections` connections
(saturating the 5 workers), p50 with one connection, p99 at saturation, CPU per request — gunicorn's
workers plus their PostgreSQL backends, read from /proc before and after each run, divided by the
requests wrk completed — and queries per request. For goal 6, p99 at half the saturated rate from an
open-loop client (bench/openloop.c, compiled at run time; see bench/_openloop.py) beside the p50 of the
same client sending one request at a time, with the client's own lag behind its schedule. CPU per request
is the figure to compare on a shared machine; rps moves with whatever else runs. Beside the pages: a
trivial view (the middleware stack only), anonymous and signed in, and a bare WSGI app under the same
gunicorn (the machine's floor for latency). Results go to bench/results/pages.json and, unless
--no-readme, into the table in bench/README.md (between the `bench.pages` markers) with the machine and
its load.

wrk is Debian's package; when it is missing the setup runs `apt-get install -y wrk`.
"""

from __future__ import annotations

import argparse
import atexit
import base64
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from http.client import HTTPConnection
from pathlib import Path
from typing import Any

from bench._openloop import constant_rate, one_at_a_time
from bench._scratch import scratch_database_ensure

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).parent / "results" / "pages.json"
README = Path(__file__).parent / "README.md"
DEFAULT_DATABASE = "bench_syllabus_pages"
APPLICATION_NAME = "bench-pages-web"
EMAIL, PASSWORD = "bench-subscriber@example.com", "bench-password-1234"
WORKERS = 5
PER_MODULE = 50

# (name, path, signed in)
PAGES = [
    ("trivial, anonymous", "/bench/trivial/", False),
    ("trivial, signed in", "/bench/trivial/", True),
    ("landing (anonymous)", "/", False),
    ("outline", "/course/", True),
    ("lesson (paid, signed tokens)", "/lessons/{lesson}/", True),
    ("dashboard", "/dashboard/", True),
    ("account", "/account/", True),
]
BARE = "bare WSGI app (no Django)"


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.pages", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 1000], help="published lessons")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=4, help="per wrk run")
    parser.add_argument("--connections", type=int, default=10, help="wrk connections for the saturated run")
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    parser.add_argument("--no-readme", action="store_true", help="do not rewrite the table in bench/README.md")
    return parser.parse_args(argv)


# --- Setup -------------------------------------------------------------------------------------


def _ensure_tool(name: str) -> str:
    """A Debian package's command (`wrk`), installed with apt-get when missing."""
    found = shutil.which(name)
    if found:
        return found
    print(f"{name} is missing: apt-get install -y {name}", flush=True)
    command = ["apt-get", "install", "-y", name]
    if os.geteuid() != 0 and shutil.which("sudo"):
        command = ["sudo", "-n", *command]
    subprocess.run(command, check=True)
    found = shutil.which(name)
    if not found:
        raise SystemExit(f"{name} is still missing after apt-get install")
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _environment(database: str) -> dict[str, str]:
    """What production reads, pointing at the scratch database; secrets are throwaway values."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    url = urllib.parse.urlsplit(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/syllabus"))
    if not database.startswith("bench_"):
        raise SystemExit("the scratch database's name must start with bench_")
    database_url = urllib.parse.urlunsplit(
        url._replace(path=f"/{database}", query=f"application_name={APPLICATION_NAME}")
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return {
        "DJANGO_SETTINGS_MODULE": "bench._pages_settings",
        "DJANGO_SECRET_KEY": "bench-" + "x" * 60,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "ALLOW_LOCAL_MEDIA_STORAGE": "1",  # one machine, no S3: production refuses local files otherwise
        "SITE_URL": "http://127.0.0.1",
        "DATABASE_URL": database_url,
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        "CACHE_KEY_PREFIX": f"bench-pages-{database}",  # two benches at once (other databases) never share keys
        "STRIPE_SECRET_KEY": "sk_test_bench",
        "STRIPE_WEBHOOK_SECRET": "whsec_bench",
        "STRIPE_PRICE_MONTHLY": "price_monthly_bench",
        "STRIPE_PRICE_ANNUAL": "price_annual_bench",
        "STRIPE_API_BASE": "http://127.0.0.1:9",
        "MUX_TOKEN_ID": "bench",
        "MUX_TOKEN_SECRET": "bench",
        "MUX_WEBHOOK_SECRET": "bench",
        "MUX_SIGNING_KEY_ID": "bench-signing-key",
        "MUX_SIGNING_PRIVATE_KEY": base64.b64encode(pem).decode(),
        "EMAIL_URL": "locmem://",
        "LOG_LEVEL": "WARNING",
    }


def _ensure_database(env: dict[str, str], database: str) -> None:
    scratch_database_ensure(env["DATABASE_URL"], database)


def _django(env: dict[str, str]) -> None:
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)


def _load_course(lessons: int) -> dict[str, Any]:
    """`lessons` published lessons in modules of 50, two files each; the subscriber (ACTIVE monthly,
    onboarded) has completed the first half and stopped two minutes into the next."""
    from datetime import timedelta

    from allauth.account.models import EmailAddress
    from django.utils import timezone

    from accounts.models import User
    from analytics.models import Event
    from billing.models import Subscription, SubscriptionPlan, SubscriptionStatus
    from courses.models import Asset, Lesson, Module
    from progress.models import LessonProgress

    Module.objects.all().delete()
    Event.objects.all().delete()
    User.objects.filter(email=EMAIL).delete()
    user = User.objects.create_user(email=EMAIL, password=PASSWORD, name="Bench Subscriber", onboarding_complete=True)
    EmailAddress.objects.create(user=user, email=EMAIL, verified=True, primary=True)
    now = timezone.now()
    Subscription.objects.create(
        user=user,
        stripe_customer_id="cus_bench",
        stripe_subscription_id="sub_bench",
        status=SubscriptionStatus.ACTIVE,
        plan=SubscriptionPlan.MONTHLY,
        current_period_start=now - timedelta(days=3),
        current_period_end=now + timedelta(days=27),
    )
    per_module = min(PER_MODULE, lessons)
    modules = Module.objects.bulk_create(
        [
            Module(title=f"Module {i}", description=f"What module {i} covers.", order=i, published=True)
            for i in range(1, -(-lessons // per_module) + 1)
        ]
    )
    body = {
        "type": "doc",
        "content": [
            {"type": "heading", "attrs": {"level": 2}, "content": [{"type": "text", "text": "Key ideas"}]},
            *[
                {"type": "paragraph", "content": [{"type": "text", "text": "A paragraph of lesson notes. " * 8}]}
                for _ in range(12)
            ],
        ],
    }
    rows = []
    for n in range(lessons):
        module = modules[n // per_module]
        rows.append(
            Lesson(
                module=module,
                title=f"{module.title}, lesson {n % per_module + 1}",
                order=n % per_module + 1,
                published=True,
                is_free=n == 0,
                video_duration=300 + n % 600,
                mux_playback_id=f"bench-playback-{n}",
                mux_playback_policy="public" if n == 0 else "signed",
                video_status="READY",
                content=body,
            )
        )
    created = Lesson.objects.bulk_create(rows, batch_size=500)
    Asset.objects.bulk_create(
        [
            Asset(
                lesson=lesson,
                title=f"Worksheet {k}",
                file_name=f"worksheet-{k}.pdf",
                file=f"assets/{lesson.pk}/w{k}.pdf",
            )
            for lesson in created
            for k in (1, 2)
        ],
        batch_size=1000,
    )
    half = len(created) // 2
    LessonProgress.objects.bulk_create(
        [LessonProgress(user=user, lesson=lesson, completed=True, completed_at=now) for lesson in created[:half]]
        + [LessonProgress(user=user, lesson=created[half], position_seconds=120)],
        batch_size=1000,
    )
    from django.db import connection

    connection.close()
    return {"lesson": created[half].pk}


# --- gunicorn, sign-in ---------------------------------------------------------------------------


def _gunicorn(
    env: dict[str, str],
    port: int,
    log: Path,
    app: str = "config.wsgi:application",
    *,
    recycling: bool = False,
    extra: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """gunicorn as production starts it (`-c config/gunicorn.py`: sync workers, access log, metrics in
    multiprocess mode, the app preloaded) with WORKERS workers on `port`. Worker recycling (`max_requests`)
    is off while measuring unless `recycling` (bench.gunicorn_recycling): it would charge a new worker's
    start-up to whichever page happened to be running. `extra`: more of the config's environment."""
    metrics = tempfile.mkdtemp(prefix="bench-pages-metrics-")
    atexit.register(shutil.rmtree, metrics, ignore_errors=True)
    command = [str(Path(sys.executable).with_name("gunicorn")), "-c", "config/gunicorn.py", app]
    env = {
        **env,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(WORKERS),
        **({} if recycling else {"GUNICORN_MAX_REQUESTS": "0"}),
        "PROMETHEUS_MULTIPROC_DIR": metrics,  # its own: gunicorn empties the folder when it starts
        **(extra or {}),
    }
    process = subprocess.Popen(
        command, cwd=ROOT, env={**os.environ, **env}, stdout=log.open("wb"), stderr=subprocess.STDOUT
    )
    for _ in range(300):
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited; see {log}")
        try:
            health = "/healthz" if app.startswith("config.") else "/"
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{health}", timeout=2) as response:
                if response.status == 200 and len(_children(process.pid)) == WORKERS:
                    return process
        except OSError:
            pass
        time.sleep(0.1)  # waiting for the server to start, not for a clock
    process.kill()
    raise SystemExit(f"gunicorn did not start; see {log}")


def _cookies(headers: list[tuple[str, str]], jar: dict[str, str]) -> None:
    """Keep the cookies a response sets, and drop the ones it deletes (as a browser does)."""
    for name, value in headers:
        if name.lower() == "set-cookie":
            pair, _, attributes = value.partition(";")
            key, _, val = pair.partition("=")
            if "max-age=0" in attributes.lower().replace(" ", "") or val.strip() in ("", '""'):
                jar.pop(key.strip(), None)
            else:
                jar[key.strip()] = val.strip()


def _request(
    port: int, method: str, path: str, jar: dict[str, str], body: str | None = None
) -> tuple[int, dict[str, str], str]:
    connection = HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Host": f"127.0.0.1:{port}", "Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        headers["Origin"] = f"http://127.0.0.1:{port}"
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    text = response.read().decode(errors="replace")
    _cookies(response.getheaders(), jar)
    connection.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, text


def _sign_in(port: int) -> dict[str, str]:
    """Through the real form: GET it (CSRF cookie and token), POST the email and password."""
    jar: dict[str, str] = {}
    status, _, page = _request(port, "GET", "/accounts/login/", jar)
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if status != 200 or not match:
        raise SystemExit(f"login form: {status}, no CSRF token")
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": match.group(1), "login": EMAIL, "password": PASSWORD})
    status, headers, _ = _request(port, "POST", "/accounts/login/", jar, body=form)
    if status != 302 or "sessionid" not in jar:
        raise SystemExit(f"sign-in failed: {status} {headers.get('location')}")
    # Follow the redirect as a browser does: the page there shows (and so clears) the "signed in" message,
    # which would otherwise come back with every request the benchmark sends with this cookie jar.
    _request(port, "GET", headers["location"], jar)
    if "messages" in jar:
        raise SystemExit("the sign-in message was not shown and cleared")
    return jar


# --- Measuring ---------------------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def _backends(env: dict[str, str]) -> list[int]:
    """PostgreSQL backend pids serving the gunicorn workers (found by their application_name)."""
    import psycopg

    url = urllib.parse.urlsplit(env["DATABASE_URL"])
    with psycopg.connect(
        host=url.hostname or "127.0.0.1",
        port=url.port or 5432,
        user=url.username or "postgres",
        password=url.password or None,
        dbname="postgres",
        autocommit=True,
    ) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s AND datname = %s",
            [APPLICATION_NAME, url.path.lstrip("/")],
        )
        return [row[0] for row in rows]


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", text.strip())
    if not match:
        raise ValueError(text)
    return float(match.group(1)) * _UNITS[match.group(2)]


def _wrk(wrk: str, url: str, jar: dict[str, str] | None, *, connections: int, seconds: int) -> dict[str, float]:
    command = [wrk, f"-t{min(connections, 2)}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    if jar:
        command += ["-H", "Cookie: " + "; ".join(f"{k}={v}" for k, v in jar.items())]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    if "Non-2xx or 3xx responses" in output or (errors and any(int(n) for n in errors.groups()[:3])):
        raise SystemExit(f"wrk saw errors on {url}:\n{output}")
    requests = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    return {
        "requests": requests,
        "timeouts": int(errors.group(4)) if errors else 0,  # requests slower than wrk's 10 s timeout
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),  # type: ignore[union-attr]
        "p50_ms": _ms(re.search(r"^\s+50%\s+(\S+)", output, re.M).group(1)),  # type: ignore[union-attr]
        "p99_ms": _ms(re.search(r"^\s+99%\s+(\S+)", output, re.M).group(1)),  # type: ignore[union-attr]
    }


def _measure(
    wrk: str,
    env: dict[str, str],
    server: subprocess.Popen[bytes],
    url: str,
    jar: dict[str, str] | None,
    *,
    connections: int,
    seconds: int,
) -> dict[str, float]:
    workers = _children(server.pid)
    backends = _backends(env)
    pids = workers + backends
    before = {pid: _cpu_seconds(pid) for pid in pids}
    result = _wrk(wrk, url, jar, connections=connections, seconds=seconds)
    while result["requests"] < 20 and seconds < 32:  # a slow page on a busy machine: measure longer
        seconds *= 2
        before = {pid: _cpu_seconds(pid) for pid in pids}
        result = _wrk(wrk, url, jar, connections=connections, seconds=seconds)
    if not result["requests"]:
        raise SystemExit(f"{url}: no request completed in {seconds} s")
    web = sum(_cpu_seconds(pid) - before[pid] for pid in workers)
    db = sum(max(_cpu_seconds(pid) - before[pid], 0.0) for pid in backends)
    result["cpu_ms"] = 1000 * (web + db) / result["requests"]
    result["web_cpu_ms"] = 1000 * web / result["requests"]
    result["db_cpu_ms"] = 1000 * db / result["requests"]
    return result


def _check(port: int, path: str, jar: dict[str, str] | None) -> int:
    """The page answers 200 (signed in when it should be) and says how many queries it ran."""
    status, headers, text = _request(port, "GET", path, dict(jar or {}))
    if status != 200:
        raise SystemExit(f"{path}: {status} {headers.get('location', '')}")
    signed_in = text == "signed in" if path.startswith("/bench/") else "Sign out" in text
    if bool(jar) != signed_in:
        raise SystemExit(f"{path}: expected signed {'in' if jar else 'out'}")
    return int(headers["x-bench-queries"])


def _page_rounds(
    args: argparse.Namespace,
    wrk: str,
    env: dict[str, str],
    server: subprocess.Popen[bytes],
    port: int,
    path: str,
    cookies: dict[str, str] | None,
) -> dict[str, Any]:
    """`--rounds` rounds of every measurement of one page; the medians, and the rounds themselves."""
    url = f"http://127.0.0.1:{port}{path}"
    rounds = []
    for _ in range(args.rounds):
        saturated = _measure(wrk, env, server, url, cookies, connections=args.connections, seconds=args.seconds)
        single = _wrk(wrk, url, cookies, connections=1, seconds=max(args.seconds // 2, 1))
        # Goal 6 with one client for both sides of the ratio: one request at a time, then a constant rate of
        # half the saturated one (evenly spaced, latency from each request's due time).
        alone = one_at_a_time("127.0.0.1", port, path, cookies, seconds=max(args.seconds / 2, 1))
        half = constant_rate("127.0.0.1", port, path, cookies, rate=saturated["rps"] / 2, seconds=args.seconds)
        if half["statuses"] != [200] or alone["statuses"] != [200]:
            raise SystemExit(f"{path}: non-200 answers at a constant rate: {half['statuses']}")
        rounds.append(
            {
                **saturated,
                "single_p50_ms": single["p50_ms"],
                "alone_p50_ms": alone["p50_ms"],
                "half_rate_rps": saturated["rps"] / 2,
                "half_rate_p50_ms": half["p50_ms"],
                "half_rate_p99_ms": half["p99_ms"],
                "half_rate_max_ms": half["max_ms"],
                "half_rate_lag_p99_ms": half["lag_p99_ms"],
                "half_rate_client_cpu_ms": half["cpu_ms"],
                "half_rate_p99_x_p50": half["p99_ms"] / alone["p50_ms"],
            }
        )
    return {**{key: statistics.median(r[key] for r in rounds) for key in rounds[0]}, "rounds": rounds}


def _print_row(row: dict[str, Any]) -> None:
    print(
        f"  {row['lessons']:>5} lessons  {row['page']:<30} {row['rps']:>7.0f} rps  p50 {row['single_p50_ms']:6.1f} ms"
        f"  p99 {row['p99_ms']:6.1f} ms  p99 at {row['half_rate_rps']:.0f} rps"
        f" {row['half_rate_p99_ms']:6.1f} ms ({row['half_rate_p99_x_p50']:.1f}x p50 {row['alone_p50_ms']:.1f},"
        f" client lag p99 {row['half_rate_lag_p99_ms']:.1f})"
        f"  CPU {row['cpu_ms']:6.2f} ms/req ({row['web_cpu_ms']:.2f} web"
        f" + {row['db_cpu_ms']:.2f} db)  {row['queries']} queries  {row['html_kb']} KB",
        flush=True,
    )


def _run_size(args: argparse.Namespace, wrk: str, env: dict[str, str], lessons: int) -> list[dict[str, Any]]:
    data = _load_course(lessons)
    port = _free_port()
    server = _gunicorn(env, port, RESULTS.with_name(f"pages-gunicorn-{lessons}.log.tmp"))
    try:
        jar = _sign_in(port)
        rows = []
        for name, template, signed in PAGES:
            path = template.format(lesson=data["lesson"])
            cookies = jar if signed else None
            _check(port, path, cookies)
            _wrk(wrk, f"http://127.0.0.1:{port}{path}", cookies, connections=WORKERS, seconds=1)  # warm every worker
            queries = _check(port, path, cookies)  # a warm worker's count (a cold one builds its caches)
            measured = _page_rounds(args, wrk, env, server, port, path, cookies)
            _, _, body = _request(port, "GET", path, dict(cookies or {}))
            row = {
                "page": name,
                "path": template,
                "lessons": lessons,
                "queries": queries,
                "html_kb": round(len(body.encode()) / 1024, 1),
                **measured,
            }
            rows.append(row)
            _print_row(row)
    finally:
        server.terminate()
        server.wait(timeout=30)
    rows.append(_run_bare(args, wrk, env, lessons))
    return rows


def _run_bare(args: argparse.Namespace, wrk: str, env: dict[str, str], lessons: int) -> dict[str, Any]:
    """The floor under goal 6: the same gunicorn (5 sync workers) and clients, serving a WSGI app of five
    lines instead of Django (`bench/_bare_wsgi.py`). What its p99 at half rate is over its p50 is the most
    any page can hope for on this machine."""
    port = _free_port()
    server = _gunicorn(env, port, RESULTS.with_name("pages-gunicorn-bare.log.tmp"), app="bench._bare_wsgi:application")
    try:
        _wrk(wrk, f"http://127.0.0.1:{port}/", None, connections=WORKERS, seconds=1)
        row = {"page": BARE, "path": "/", "lessons": lessons, "queries": 0, "html_kb": 0.0}
        row.update(_page_rounds(args, wrk, env, server, port, "/", None))
    finally:
        server.terminate()
        server.wait(timeout=30)
    _print_row(row)
    return row


def _machine() -> dict[str, Any]:
    cpu = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "load_before": os.getloadavg(),
    }


def _table(rows: list[dict[str, Any]], sizes: list[int]) -> str:
    by = {(r["page"], r["lessons"]): r for r in rows}
    trivial = {size: by[("trivial, signed in", size)]["cpu_ms"] for size in sizes}
    head = "| page | " + " | ".join(
        f"{s:,} lessons: CPU ms/req (x trivial signed in) | rps | p50 / p99 ms"
        " | p99 at half rate ms (x p50; client lag p99) | queries | KB"
        for s in sizes
    )
    lines = [head + " |", "|---|" + "---:|---:|---:|---:|---:|---:|" * len(sizes)]
    for name in [page for page, _, _ in PAGES] + [BARE]:
        cells = []
        for size in sizes:
            r = by[(name, size)]
            ratio = r["cpu_ms"] / trivial[size] if trivial[size] else 0
            cells.append(
                f"{r['cpu_ms']:.2f} ({ratio:.1f}x) | {r['rps']:,.0f} | {r['single_p50_ms']:.1f} / {r['p99_ms']:.1f}"
                f" | {r['half_rate_p99_ms']:.1f} ({r['half_rate_p99_x_p50']:.1f}x; lag {r['half_rate_lag_p99_ms']:.1f})"
                f" | {r['queries']} | {r['html_kb']}"
            )
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _write_readme(table: str, machine: dict[str, Any], args: argparse.Namespace) -> None:
    start, end = "<!-- bench.pages:start -->", "<!-- bench.pages:end -->"
    text = README.read_text()
    if start not in text:
        return
    load = ", ".join(f"{x:.1f}" for x in machine["load_before"])
    after = ", ".join(f"{x:.1f}" for x in machine["load_after"])
    block = (
        f"{start}\nLast run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: "
        f"{machine['cpus']} CPUs ({machine['cpu']}), "
        f"Python {machine['python']}; load average {load} before and {after} after the run (1, 5, 15 min). "
        f"Median of {args.rounds} rounds of {args.seconds} s; rps with {args.connections} connections, p50 with one, "
        f"p99 at saturation, and p99 at half the saturated rate (bench/openloop.c: evenly spaced requests, a "
        f"connection each, latency from each request's due time; x the p50 of the same client sending one request "
        f"at a time; the client's own wake-up lag p99 beside it)."
        f"\n\n{table}\n{end}"
    )
    README.write_text(text[: text.index(start)] + block + text[text.index(end) + len(end) :])


def main(argv: list[str] | None = None) -> int:
    args = _parse(sys.argv[1:] if argv is None else argv)
    wrk = _ensure_tool("wrk")
    env = _environment(args.database)
    _ensure_database(env, args.database)
    _django(env)
    machine = _machine()
    rows: list[dict[str, Any]] = []
    for size in args.sizes:
        rows += _run_size(args, wrk, env, size)
    machine["load_after"] = os.getloadavg()
    table = _table(rows, args.sizes)
    print(table)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"machine": machine, "args": vars(args), "rows": rows}, indent=2) + "\n")
    if not args.no_readme:
        _write_readme(table, machine, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
