"""`python -m bench.tick_profile [--ticks N] [--profile]`: what one tick costs its worker.

One throwaway practice wired to both sandboxes over HTTP (no latency), as the worker
benchmark serves it; then `practice_poll` run N times with nothing changed in Nextech
(idle ticks) and N times after staff booked a visit (event ticks). Prints, per tick, the
SQL statements sent and the CPU time of the calling thread (`time.thread_time`: the
sandboxes answer on their own threads, so their work is not counted). CPU time moves
with the machine's load; the statement counts do not. `--profile` adds cProfile's top
functions by cumulative time for each kind of tick.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import logging
import os
import pstats
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import django


@dataclass(frozen=True)
class TickCost:
    kind: str
    ticks: int
    statements: float
    cpu_ms: float
    profile: str
    last_statements: tuple[str, ...]


class _StatementCounter:
    """A database execute wrapper that counts the statements it lets through."""

    def __init__(self) -> None:
        self.count = 0
        self.last: list[str] = []  # the statements of the tick measured last

    def tick_begin(self) -> None:
        self.last = []

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool,
                 context: Any) -> Any:
        self.count += 1
        self.last.append(sql)
        return execute(sql, params, many, context)


def ticks_measure(*, ticks: int, profile: bool, sort: str = "cumulative") -> list[TickCost]:
    from django.db import connection

    from bench.served import served_practices
    from integrations.tasks import practice_poll

    costs = []
    with served_practices(count=1) as served:
        practice = served.wired[0]
        rng = random.Random(1)  # noqa: S311 - benchmark data, not secrets
        practice_poll(practice.schema)  # whatever the set-up left is read first
        for kind in ("idle", "event"):
            # CPU time, not wall time: what the worker spends, not what it waits for.
            profiler = cProfile.Profile(time.thread_time)
            counter = _StatementCounter()
            cpu = 0.0
            for _ in range(ticks):
                if kind == "event":
                    served.staff_book(practice, rng)
                counter.tick_begin()
                with connection.execute_wrapper(counter):
                    if profile:
                        profiler.enable()
                    started = time.thread_time()
                    practice_poll(practice.schema)
                    cpu += time.thread_time() - started
                    if profile:
                        profiler.disable()
            text = ""
            if profile:
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats(sort).print_stats(40)
                text = out.getvalue()
            costs.append(TickCost(kind=kind, ticks=ticks, statements=counter.count / ticks,
                                  cpu_ms=cpu / ticks * 1000, profile=text,
                                  last_statements=tuple(counter.last)))
    return costs


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.tick_profile", description=__doc__)
    parser.add_argument("--ticks", type=int, default=20, help="ticks of each kind")
    parser.add_argument("--profile", action="store_true", help="print cProfile's top")
    parser.add_argument("--sql", action="store_true",
                        help="print the statements of the last tick of each kind")
    parser.add_argument("--sort", default="cumulative", help="cProfile's order (tottime, ...)")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "axconnect.settings")
    django.setup()
    logging.disable(logging.INFO)  # every tick logs; as in production at WARNING
    from bench.practices import bench_database_ready

    bench_database_ready()
    costs = ticks_measure(ticks=args.ticks, profile=args.profile, sort=args.sort)
    for cost in costs:
        if cost.profile:
            print(f"--- {cost.kind} ticks ---\n{cost.profile}")
        if args.sql:
            print(f"--- statements of the last {cost.kind} tick ---")
            print("\n".join(sql[:240] for sql in cost.last_statements))
    load = os.getloadavg()[0]
    for cost in costs:
        print(f"{cost.kind} tick: {cost.statements:.1f} SQL statements, "
              f"{cost.cpu_ms:.1f} CPU ms ({cost.ticks} ticks, load average {load:.1f})")


if __name__ == "__main__":
    main()
