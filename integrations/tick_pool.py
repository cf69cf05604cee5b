"""Several practices' ticks at once inside one worker process.

A tick mostly waits: on Nextech and GoHighLevel (about 100 ms a call) and on PostgreSQL.
A django-q2 worker process runs one task at a time, so a worker that ran each tick itself
would keep only about 600 practices on a 5-minute schedule (`make bench`,
`practices_per_worker_5min_sequential`). The scheduled task therefore hands the tick to
its process's pool of `AXC_TICK_THREADS` threads and returns. It waits while every thread
is busy, so a worker never takes on more ticks than it can run and the broker hands the
rest to other workers.

What the pool keeps of running a tick as the task itself:
- no overlap: `practice_poll` still takes the practice's advisory lock, on the thread's
  own database connection (Django's connections are per thread), released as the tick
  ends;
- connections: a thread treats each tick as Django treats a request, keeping its
  connection for `DB_CONN_MAX_AGE` (a new connection per tick cost the worker 1.3 ms of
  CPU and PostgreSQL 3.4 ms to start a backend, before any query) and closing it after
  every tick with `DB_CONN_MAX_AGE=0`, the setting behind PgBouncer (see the README),
  where it hands the server connection back for the next tick;
- crashes: a worker killed with ticks in flight loses them as it would lose a running
  task; the engine resumes from its cursors and outbox on the next tick;
- stopping and recycling: a worker process exits only once its threads are done
  (ThreadPoolExecutor joins them at interpreter exit), and each tick ends within
  AXC_TICK_BUDGET_SECONDS, so a stopped qcluster lets in-flight ticks finish.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from django.db import close_old_connections

log = logging.getLogger(__name__)

Tick = Callable[..., dict[str, Any]]  # (schema_name, **what the schedule passed)


class TickPool:
    """A fixed number of threads, each running one practice's tick at a time."""

    def __init__(self, *, threads: int, tick: Tick) -> None:
        if threads < 1:
            raise ValueError("a tick pool needs at least one thread")
        self.threads = threads
        self._tick = tick
        self._free = threading.BoundedSemaphore(threads)
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="tick")

    def submit(self, schema_name: str, *, wait_seconds: float | None = None,
               **tick_kwargs: Any) -> Future[dict[str, Any]] | None:
        """Start the practice's tick on a free thread, waiting up to `wait_seconds` for
        one (None: as long as it takes); returns None when no thread freed up in time."""
        if not self._free.acquire(timeout=wait_seconds):
            return None
        try:
            return self._executor.submit(self._run, schema_name, tick_kwargs)
        except BaseException:
            self._free.release()
            raise

    def _run(self, schema_name: str, tick_kwargs: dict[str, Any]) -> dict[str, Any]:
        # As around a web request: a connection the database dropped since the last tick
        # (a restart, a failover), or one past its age, is replaced before this tick.
        close_old_connections()
        try:
            return self._tick(schema_name, **tick_kwargs)
        except Exception:
            # Nobody awaits the future in a worker: the log is where this is seen.
            log.exception("tick crashed for %s", schema_name)
            raise
        finally:
            # As after a web request: kept while young and usable, closed when broken or
            # when DB_CONN_MAX_AGE is 0 (behind PgBouncer the next tick on that server
            # connection then starts from `DISCARD ALL`: no search_path, no lock).
            close_old_connections()
            self._free.release()

    def shutdown(self) -> None:
        """Wait for running ticks to end (tests and benchmarks; workers exit instead)."""
        self._executor.shutdown(wait=True)


_process_pool: TickPool | None = None
_process_pool_pid = 0
_process_pool_lock = threading.Lock()


def process_tick_pool(*, threads: int, tick: Tick) -> TickPool:
    """This process's pool, made on first use. A forked worker makes its own: threads do
    not survive a fork, so a pool inherited from the parent would never run anything."""
    global _process_pool, _process_pool_pid
    with _process_pool_lock:
        if _process_pool is None or _process_pool_pid != os.getpid():
            _process_pool = TickPool(threads=threads, tick=tick)
            _process_pool_pid = os.getpid()
        return _process_pool
