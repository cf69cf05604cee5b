"""How many practices a worker keeps on schedule, with 100 ms per API call, real time.

The model: a real `qcluster` (django-q2, ORM broker, as `make demo` runs it) with one or
four worker processes, each with its tick pool (`AXC_TICK_THREADS` threads), against both
sandboxes served over HTTP that answer every API call 100 ms late. The benchmark queues
the scheduled task (`practice_poll_start`) for every practice and queues it again as soon
as that practice's tick has finished (its SyncState says so), for `seconds`: the broker,
the pool and the tick are the product's own. A cluster keeps N practices on schedule at
interval I when it completes N ticks within I, so the figure is ticks per second x I.
Staff change one visit per practice every ten minutes (busy opening hours), so at a
5-minute interval half the ticks carry an event to write and at a 1-minute interval a
tenth do. The sequential figure (one thread) is what a worker that ran each tick as the
task itself would do.
"""

from __future__ import annotations

import os
import random
import resource
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection
from django_q.tasks import async_task
from django_tenants.utils import schema_context

from bench.cluster import BenchCluster, bench_qcluster
from bench.latency import API_CALL_SECONDS
from bench.served import Served, ServedPractice, served_practices
from integrations.models import SyncLog
from tenants.schedule import POLL_TASK

CHANGES_PER_PRACTICE_HOUR = 6
FOUR = 4
DRAIN_SECONDS = 60  # how long ticks still running after a phase may take to end


def _tick_times(practices: list[ServedPractice]) -> dict[str, tuple[Any, Any, int]]:
    """Each practice's last tick (started, finished) and its count of polls skipped
    because a tick held the lock, in one query across their schemas."""
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(
            f"SELECT %s, last_tick_started_at, last_tick_finished_at, "  # noqa: S608
            f"ticks_skipped_locked "
            f"FROM {connection.ops.quote_name(p.schema)}.integrations_syncstate"  # our schemas
            for p in practices), [p.schema for p in practices])
        return {schema: (started, finished, skipped)
                for schema, started, finished, skipped in cursor.fetchall()}


def _ticks_failed(practices: list[ServedPractice], since: datetime) -> list[str]:
    failed: list[str] = []
    for practice in practices:
        with schema_context(practice.schema):
            failed += SyncLog.objects.filter(kind="tick", created_at__gte=since).exclude(
                level=SyncLog.Level.INFO).values_list("message", flat=True)
    return failed


@dataclass
class Phase:
    """Polls queued back to back for `seconds`; what completed inside the window."""

    served: Served
    cluster: BenchCluster
    seconds: float
    change_probability: float
    ticks: int = 0
    changes: int = 0
    skipped: int = 0
    tick_seconds: list[float] = field(default_factory=list)
    # schema -> (practice, its tick times when the poll was queued)
    in_flight: dict[str, tuple[ServedPractice, tuple[Any, Any, int]]] = field(
        default_factory=dict)

    def poll_all(self, practices: list[ServedPractice], rng: random.Random) -> None:
        times = _tick_times(practices) if practices else {}
        for practice in practices:
            if rng.random() < self.change_probability:
                self.served.staff_book(practice, rng)
                self.changes += 1
            self.in_flight[practice.schema] = (practice, times[practice.schema])
            async_task(POLL_TASK, practice.schema)

    def finished(self) -> tuple[list[ServedPractice], int]:
        """The practices whose queued poll is done, and how many of those ran a tick.

        A poll queued the moment a tick wrote its finish can find that tick still
        holding the lock (it releases it after its last log lines): skipped, not a tick.
        """
        done, ticks = [], 0
        times = _tick_times([p for p, _ in self.in_flight.values()]) if self.in_flight else {}
        for schema, (started, finished, skipped) in times.items():
            practice, before = self.in_flight[schema]
            if skipped != before[2]:
                self.skipped += 1
            elif finished != before[1] and finished >= started:
                self.tick_seconds.append((finished - started).total_seconds())
                ticks += 1
            else:
                continue
            del self.in_flight[schema]
            done.append(practice)
        return done, ticks

    def run(self) -> dict[str, Any]:
        rng = random.Random(len(self.served.wired))  # noqa: S311 - benchmark load
        started = datetime.now().astimezone()
        cpu_before = self.cluster.cpu_seconds()
        deadline = time.monotonic() + self.seconds
        ready = list(self.served.wired)
        while time.monotonic() < deadline:
            self.poll_all(ready, rng)
            time.sleep(0.05)
            ready, ticks = self.finished()
            self.ticks += ticks
        cpu = self.cluster.cpu_seconds() - cpu_before
        drain_until = time.monotonic() + DRAIN_SECONDS
        while self.in_flight and time.monotonic() < drain_until:  # next phase starts clean
            time.sleep(0.05)
            self.finished()
        durations = sorted(self.tick_seconds)
        failed = _ticks_failed(self.served.wired, started)
        return {
            "ticks_per_s": self.ticks / self.seconds,
            "changes": self.changes,
            "skipped": self.skipped,
            "tick_p50_s": durations[len(durations) // 2] if durations else None,
            "tick_p95_s": durations[int(len(durations) * 0.95)] if durations else None,
            "cpu_share": cpu / self.seconds,
            # a failed tick, or a queued poll that never ran its tick
            "errors": len(failed) + len(self.in_flight),
            "error_examples": failed[:3],
        }


def _cluster_phases(served: Served, *, workers: int, threads: int, seconds: float,
                    intervals: list[int]) -> list[dict[str, Any]]:
    with bench_qcluster(workers=workers, threads=threads) as cluster:
        warm = Phase(served, cluster, seconds=0, change_probability=0)
        # Every worker loaded and connected before timing; no change is made.
        warm.poll_all(served.wired, random.Random(0))  # noqa: S311
        deadline = time.monotonic() + 120
        while warm.in_flight:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the benchmark qcluster never polled: {cluster.output()}")
            time.sleep(0.1)
            warm.finished()
        return [Phase(served, cluster, seconds=seconds,
                      change_probability=CHANGES_PER_PRACTICE_HOUR * interval / 3600).run()
                for interval in intervals]


def _seconds(value: float | None) -> float | None:
    """Rounded; None when a phase too short for its load completed no tick."""
    return None if value is None else round(value, 3)


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def workers_measure(*, practices: int, threads: int, seconds: float) -> dict[str, Any]:
    with served_practices(count=practices) as served:
        served.latency_set(API_CALL_SECONDS)
        five, one = _cluster_phases(served, workers=1, threads=threads, seconds=seconds,
                                    intervals=[300, 60])
        alone, = _cluster_phases(served, workers=1, threads=1, seconds=seconds,
                                 intervals=[300])
        sandbox_cpu = _cpu_seconds()
        four, = _cluster_phases(served, workers=FOUR, threads=threads, seconds=seconds,
                                intervals=[300])
        # The sandboxes (and this feeder) run in this process, on the same cores.
        sandbox_cpu = (_cpu_seconds() - sandbox_cpu) / seconds
        load = os.getloadavg()[0]  # other work on this machine competes for the cores too
    return {
        "practices_per_worker_5min": int(five["ticks_per_s"] * 300),
        "practices_per_worker_1min": int(one["ticks_per_s"] * 60),
        "practices_per_4_workers_5min": int(four["ticks_per_s"] * 300),
        "practices_per_worker_5min_sequential": int(alone["ticks_per_s"] * 300),
        "worker_threads": threads,
        "worker_practices": practices,
        "worker_seconds_per_run": seconds,
        "worker_tick_p50_s": _seconds(five["tick_p50_s"]),
        "worker_tick_p95_s": _seconds(five["tick_p95_s"]),
        "worker_tick_p50_s_sequential": _seconds(alone["tick_p50_s"]),
        "worker_cpu_share": round(five["cpu_share"], 2),
        "worker_cpu_share_4_workers": round(four["cpu_share"], 2),
        "sandbox_cpu_share_4_workers": round(sandbox_cpu, 2),
        "worker_changes_5min_run": five["changes"],
        "machine_load_average_1min": round(load, 2),
        "worker_polls_skipped_locked": sum(r["skipped"] for r in (five, one, alone, four)),
        "worker_errors": sum(r["errors"] for r in (five, one, alone, four)),
        "worker_error_examples": [e for r in (five, one, alone, four)
                                  for e in r["error_examples"]][:3],
    }
