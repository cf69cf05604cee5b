"""Database connections one idle qcluster holds, and the pooler test's verdict."""

from __future__ import annotations

import subprocess
import sys
import time

from django.db import connection

from bench.cluster import ROOT, bench_qcluster
from bench.sizes import FULL


def _others() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                       "current_database() AND pid <> pg_backend_pid()")
        return int(cursor.fetchone()[0])


def idle_cluster_connections(*, workers: int = 2, threads: int = FULL.worker_threads,
                             settle_seconds: float = 10) -> int:
    """Connections a qcluster of `workers` x `threads` holds before any tick. Each tick
    thread adds one while it ticks and keeps it for DB_CONN_MAX_AGE after (with 0, the
    setting behind PgBouncer, it closes it as the tick ends)."""
    before = _others()
    with bench_qcluster(workers=workers, threads=threads):
        time.sleep(settle_seconds)
        during = _others()
    return during - before


def ticks_through_pgbouncer_ok() -> bool:
    """The pooler test of `make test`, run here for its verdict: two practices' ticks
    through a real PgBouncer (session mode), each in its own schema, the lock holding."""
    done = subprocess.run(  # noqa: S603 - our own test suite
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "tests/ops/test_pgbouncer.py"], cwd=ROOT, capture_output=True, text=True,
        timeout=900)
    return done.returncode == 0
