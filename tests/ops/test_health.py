"""/healthz and /readyz: 200 with what was checked, 503 naming what is down.

Failures are real: a subprocess configured with a database or a Redis broker on a port
where nothing listens.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest

from tests.support.db import database_url
from tests.support.qcluster import ROOT

PROBE = (
    "import django, json; django.setup(); from django.test import Client; "
    "client = Client(); "
    "print(json.dumps({p: [r.status_code, json.loads(r.content)] "
    "for p in ('/healthz', '/readyz') for r in [client.get(p, HTTP_HOST='10.0.0.7:8000')]}))"
)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _probe(**env: str) -> dict[str, list]:
    """GET both endpoints in a fresh process configured by `env`; {path: [status, body]}."""
    process_env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    process_env.update(DJANGO_SETTINGS_MODULE="axconnect.settings", LOG_LEVEL="ERROR", **env)
    done = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", PROBE], cwd=ROOT, env=process_env, capture_output=True,
        text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.django_db
def test_healthy_answers_200_with_each_check(client):
    for path in ("/healthz", "/readyz"):
        # Any Host header: load balancers probe by IP.
        response = client.get(path, HTTP_HOST="10.0.0.7:8000")
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["status"] == "ok"
        assert body["checks"]["database"] == "ok"
        assert body["checks"]["broker"].startswith("ok (")
    assert set(client.get("/readyz").json()["checks"]) == {
        "database", "broker", "migrations", "practice_migrations", "writable"}


def test_unreachable_database_answers_503_naming_it():
    answers = _probe(DATABASE_URL=f"postgresql://postgres@127.0.0.1:{_closed_port()}/axconnect")
    for path in ("/healthz", "/readyz"):
        status, body = answers[path]
        assert status == 503
        assert body["status"] == "unavailable"
        assert "database" in body["failing"]
        assert body["checks"]["database"].startswith("error: OperationalError")


def test_unreachable_redis_broker_answers_503_naming_only_the_broker(django_db_blocker):
    with django_db_blocker.unblock():
        url = database_url()
    answers = _probe(DATABASE_URL=url, REDIS_URL=f"redis://127.0.0.1:{_closed_port()}/0")
    for path in ("/healthz", "/readyz"):
        status, body = answers[path]
        assert status == 503
        assert body["failing"] == ["broker"]
        assert body["checks"]["database"] == "ok"
        assert "ConnectionError" in body["checks"]["broker"]


def test_reachable_redis_broker_is_healthy(django_db_blocker):
    with django_db_blocker.unblock():
        url = database_url()
    status, body = _probe(DATABASE_URL=url, REDIS_URL="redis://127.0.0.1:6379/14")["/healthz"]
    assert status == 200, body
    assert body["checks"]["broker"] == "ok (0 queued)"
