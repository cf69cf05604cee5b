"""How fast one worker turns appointment events into CRM writes, with zero latency."""

from __future__ import annotations

import resource
import time
from typing import Any

from bench.practices import bench_practices
from bench.ticks import ticks_until_quiet
from bench.workload import practice_history_seed
from bench.world import World


def peak_rss_mb() -> float:
    """This process's peak resident set so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def engine_throughput_measure(*, patients: int) -> dict[str, Any]:
    """`patients` patients' visits of the last and next two weeks synced from scratch; wall
    clock from the first tick to the last CRM write, set-up and seeding excluded."""
    with bench_practices(label="speed") as (practice,):
        world = World(practice=practice)
        world.crm_setup()
        practice_history_seed(world.emr, patients=patients)
        world.clock.advance(60)
        started = time.perf_counter()
        totals = ticks_until_quiet(world)
        wall = time.perf_counter() - started
    return {
        "engine_events_per_s": round(totals.events / wall, 1),
        "engine_events_measured": totals.events,
        "engine_wall_seconds": round(wall, 2),
        "engine_errors": totals.errors + totals.dead_letters,
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }
