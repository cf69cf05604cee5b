"""Change-to-CRM latency: staff change appointments at random moments, the practice is
polled every `interval` seconds, every API call takes 100 ms; all in simulated time."""

from __future__ import annotations

import random
import statistics
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bench.changes import Staff
from bench.latency import API_CALL_SECONDS
from bench.practices import bench_practices
from bench.ticks import ticks_until_quiet
from bench.timeline import Timeline
from bench.workload import practice_history_seed
from bench.world import World


@dataclass(frozen=True)
class Change:
    appointment_id: str
    at: datetime


def note_times(world: World) -> dict[str, list[datetime]]:
    """When each appointment's notes reached the CRM, by appointment id."""
    times: dict[str, list[datetime]] = {}
    for note in world.ghl_app.state.locations[world.location.id].notes:
        marker = note["body"].rpartition("appt:")[2]
        if marker:
            when = datetime.fromisoformat(note["dateAdded"].replace("Z", "+00:00"))
            times.setdefault(marker.split(":")[0], []).append(when)
    return times


def percentile(values: list[float], pct: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1]


def latency_measure(*, interval: float, hours: float, changes: int, history: int,
                    seed: int = 3) -> dict[str, Any]:
    """Seconds from each change in Nextech to its note in the CRM (the last write of an
    event), with changes spread uniformly over `hours` and ticks every `interval`, in a
    practice that already has `history` patients' visits synced."""
    with bench_practices(label=f"latency{int(interval)}") as (practice,):
        clock = Timeline()
        world = World(practice=practice, clock=clock, latency=API_CALL_SECONDS)
        world.crm_setup()
        practice_history_seed(world.emr, patients=history)
        clock.advance(60)
        ticks_until_quiet(world)  # the practice's history, synced before the clock starts

        rng = random.Random(seed)  # noqa: S311 - benchmark timing, not secrets
        staff = Staff(emr=world.emr, rng=rng)
        made: list[Change] = []
        start, horizon = clock.monotonic(), hours * 3600
        for _ in range(changes):
            clock.at(start + rng.uniform(0, horizon),
                     lambda: made.append(Change(staff.change(), clock.now())))
        # django-q2 starts a tick every interval, or as soon as an overrunning one ends.
        next_tick, ticks = start + rng.uniform(0, interval), 0
        while next_tick < start + horizon + 2 * interval:
            clock.run_until(next_tick)
            world.tick()
            ticks += 1
            next_tick = max(next_tick + interval, clock.monotonic())

        notes = note_times(world)
        delays = []
        for change in made:
            after = [t for t in notes.get(change.appointment_id, []) if t >= change.at]
            if after:
                delays.append((min(after) - change.at).total_seconds())
    label = f"{int(interval)}s"
    return {
        f"latency_p50_s_at_{label}": round(percentile(delays, 50), 1),
        f"latency_p95_s_at_{label}": round(percentile(delays, 95), 1),
        f"latency_max_s_at_{label}": round(max(delays), 1),
        f"latency_changes_at_{label}": len(made),
        f"latency_undelivered_at_{label}": len(made) - len(delays),
        f"latency_ticks_at_{label}": ticks,
    }
