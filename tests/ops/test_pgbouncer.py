"""Ticks through a real PgBouncer in session mode: each practice's tick reads and writes
only its own schema, even when they take turns on one server connection, and the
practice lock still keeps two ticks of one practice apart."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django_tenants.utils import schema_context

from integrations.models import SyncLog
from tenants.models import NextechCallDay, Practice
from tests.support.pgbouncer import running_pgbouncer
from tests.support.qcluster import ROOT

SCHEMAS = ("p_alpha", "p_bravo")


@contextmanager
def _active_practices(django_db_blocker) -> Iterator[None]:
    """Both session practices active (committed: the ticks run in another process), their
    tick logs cleared before and after."""
    with django_db_blocker.unblock():
        Practice.objects.filter(schema_name__in=SCHEMAS).update(status=Practice.Status.ACTIVE)
        _logs_clear()
    try:
        yield
    finally:
        with django_db_blocker.unblock():
            _logs_clear()
            Practice.objects.filter(schema_name__in=SCHEMAS).update(
                status=Practice.Status.ONBOARDING)


def _logs_clear() -> None:
    """The ticks' traces: their logs, and the day's Nextech call count they added to."""
    NextechCallDay.objects.filter(practice__schema_name__in=SCHEMAS).delete()
    for schema in SCHEMAS:
        with schema_context(schema):
            SyncLog.objects.filter(kind__in=["tick", "tick_skipped"]).delete()


def _ticks_through(url: str, *schemas: str, apart: float = 0, **env: str) -> list[dict]:
    """The ticks run by a worker configured as the README says behind PgBouncer:
    connections not kept (`DB_CONN_MAX_AGE=0`), so each tick hands its server connection
    back when it ends."""
    done = subprocess.run(  # noqa: S603 - our own module
        [sys.executable, "-m", "tests.support.pooled_ticks", str(apart), *schemas],
        cwd=ROOT, capture_output=True, text=True, timeout=180,
        env={**os.environ, "DATABASE_URL": url, "DB_CONN_MAX_AGE": "0", **env},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _tick_logs(django_db_blocker, schema: str) -> list[dict]:
    with django_db_blocker.unblock(), schema_context(schema):
        return list(SyncLog.objects.filter(kind="tick").values_list("details", flat=True))


@pytest.mark.usefixtures("practices")
def test_two_practices_take_turns_on_one_server_connection(django_db_blocker):
    with _active_practices(django_db_blocker), running_pgbouncer(pool_size=1) as url:
        # Six ticks, three per practice, alternating, all at once on a two-thread pool:
        # PgBouncer has one server connection, so they queue for it and take turns.
        results = _ticks_through(url, *SCHEMAS * 3,
                                 AXC_TICK_FUNCTION="tests.support.ticks.recording_tick")
        logs = {schema: _tick_logs(django_db_blocker, schema) for schema in SCHEMAS}

    assert sorted(r["practice"] for r in results) == sorted(SCHEMAS * 3)
    assert not [r for r in results if "skipped" in r]
    for schema, details in logs.items():
        assert len(details) == 3
        # Each tick ran in its own schema and wrote its log there, nowhere else.
        assert {(d["schema"], d["current_schema"]) for d in details} == {(schema, schema)}
    backends = {d["backend_pid"] for details in logs.values() for d in details}
    assert len(backends) == 1  # one server connection served both practices in turn


@pytest.mark.usefixtures("practices")
def test_the_practice_lock_holds_through_the_pooler(django_db_blocker):
    with _active_practices(django_db_blocker), running_pgbouncer(pool_size=3) as url:
        # A slow tick of alpha, then a second alpha tick and a bravo tick while it runs.
        results = _ticks_through(url, "p_alpha", "p_alpha", "p_bravo", apart=0.5,
                                 AXC_TICK_FUNCTION="tests.support.ticks.slow_tick",
                                 AXC_TEST_TICK_SECONDS="3")

    assert [(r["practice"], r.get("skipped", "ticked")) for r in results] == [
        ("p_alpha", "ticked"), ("p_alpha", "locked"), ("p_bravo", "ticked")]
