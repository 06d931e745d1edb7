import socket
import subprocess
import time

import pytest
import redis


@pytest.mark.django_db
def test_healthz_is_200_with_database_and_redis(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "redis": "ok"}


@pytest.mark.django_db
def test_healthz_is_503_naming_redis_when_it_is_down(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["database"] == "ok"
    assert body["redis"].startswith("unreachable")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_redis(port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port)
    for _ in range(200):
        try:
            client.ping()
            return process
        except redis.ConnectionError:
            time.sleep(0.02)  # waiting for a process to start, not for the clock
    process.kill()
    raise RuntimeError("redis-server did not start")


@pytest.mark.django_db
def test_healthz_reuses_one_redis_connection_and_follows_an_outage(client, settings):
    """A private redis-server: probes share a pooled connection; stopping it answers 503, restarting 200."""
    port = _free_port()
    settings.REDIS_URL = f"redis://127.0.0.1:{port}/0"
    server = _start_redis(port)
    try:
        observer = redis.Redis(port=port)
        assert client.get("/healthz").status_code == 200
        received = observer.info("stats")["total_connections_received"]
        for _ in range(5):
            assert client.get("/healthz").status_code == 200
        assert observer.info("stats")["total_connections_received"] == received  # no new connection
        server.terminate()
        server.wait(timeout=10)
        response = client.get("/healthz")
        assert response.status_code == 503
        assert response.json()["redis"].startswith("unreachable")
        server = _start_redis(port)
        assert client.get("/healthz").status_code == 200
    finally:
        server.kill()
        server.wait(timeout=10)
