"""How many practices a worker keeps on schedule, with 100 ms per API call, real time.

The model: a worker process polls its practices the way a qcluster worker does, through
the product's tick pool (`integrations.tick_pool`, `threads` threads each running the
poll task's body `practice_poll`: lock, schema, credentials, tick), back to back, against
both sandboxes served over HTTP that answer every API call 100 ms late. A worker keeps N
practices on schedule at interval I when it completes N ticks within I, so the figure is
ticks per second x I. Staff change one visit per practice every ten minutes (busy
opening hours), so at a 5-minute interval half the ticks carry an event to write and at a
1-minute interval a tenth do. The sequential figure (one thread) is what a worker that ran
each tick as the task itself would do.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from django.db import connection

from bench.latency import API_CALL_SECONDS
from bench.served import Served, served_practices

ROOT = Path(__file__).resolve().parents[2]
CHANGES_PER_PRACTICE_HOUR = 6
FOUR = 4


def _database() -> dict[str, Any]:
    s = connection.settings_dict
    return {k: s[k] for k in ("NAME", "USER", "PASSWORD", "HOST", "PORT")}


def _phase(*, threads: int, seconds: float, interval_seconds: int) -> dict[str, Any]:
    return {"threads": threads, "seconds": seconds,
            "change_probability": CHANGES_PER_PRACTICE_HOUR * interval_seconds / 3600}


def workers_run(served: Served, *, workers: int,
                phases: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Start `workers` processes, let them measure together once all have loaded Django,
    each on its share of the practices; returns each process's results, one per phase."""
    processes = []
    for n in range(workers):
        share = [asdict(p) for p in served.wired[n::workers]]
        plan = {"practices": share, "database": _database(),
                "nextech_url": served.nextech_server.url,
                "phases": [{**p, "threads": min(p["threads"], len(share))} for p in phases]}
        processes.append(subprocess.Popen(  # noqa: S603 - our own module, our own plan
            [sys.executable, "-m", "bench.worker", json.dumps(plan)], cwd=ROOT,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    for process in processes:
        assert process.stdout is not None
        process.stdout.readline()  # "ready", or nothing when it failed (reported below)
    for process in processes:
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.flush()
    timeout = sum(p["seconds"] for p in phases) + 120
    results = []
    for process in processes:
        out, err = process.communicate(timeout=timeout)
        if process.returncode != 0:
            raise RuntimeError(f"benchmark worker failed: {err[-2000:]}")
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def _seconds(value: float | None) -> float | None:
    """Rounded; None when a phase too short for its load completed no tick."""
    return None if value is None else round(value, 3)


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def workers_measure(*, practices: int, threads: int, seconds: float) -> dict[str, Any]:
    with served_practices(count=practices) as served:
        served.latency_set(API_CALL_SECONDS)
        (five, one, alone), = workers_run(served, workers=1, phases=[
            _phase(threads=threads, seconds=seconds, interval_seconds=300),
            _phase(threads=threads, seconds=seconds, interval_seconds=60),
            _phase(threads=1, seconds=seconds, interval_seconds=300)])
        sandbox_cpu = _cpu_seconds()
        four = [r[0] for r in workers_run(served, workers=FOUR, phases=[
            _phase(threads=threads, seconds=seconds, interval_seconds=300)])]
        # The sandboxes answer every worker from this one process, on the same cores.
        sandbox_cpu = (_cpu_seconds() - sandbox_cpu) / seconds
        load = os.getloadavg()[0]  # other work on this machine competes for the cores too
    errors = sum(r["errors"] + r["skipped"] for r in (five, one, alone, *four))
    return {
        "practices_per_worker_5min": int(five["ticks_per_s"] * 300),
        "practices_per_worker_1min": int(one["ticks_per_s"] * 60),
        "practices_per_4_workers_5min": int(sum(r["ticks_per_s"] for r in four) * 300),
        "practices_per_worker_5min_sequential": int(alone["ticks_per_s"] * 300),
        "worker_threads": threads,
        "worker_practices": practices,
        "worker_seconds_per_run": seconds,
        "worker_tick_p50_s": _seconds(five["tick_p50_s"]),
        "worker_tick_p95_s": _seconds(five["tick_p95_s"]),
        "worker_tick_p50_s_sequential": _seconds(alone["tick_p50_s"]),
        "worker_cpu_share": round(five["cpu_share"], 2),
        "worker_cpu_share_4_workers": round(sum(r["cpu_share"] for r in four), 2),
        "sandbox_cpu_share_4_workers": round(sandbox_cpu, 2),
        "worker_events_5min_run": five["events"],
        "machine_load_average_1min": round(load, 2),
        "worker_errors": errors,
    }
