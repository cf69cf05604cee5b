"""First sync of a big practice into one CRM location: how close to GoHighLevel's
100-requests-per-10-s limit the engine runs (simulated time, zero network latency, so
the limit is the only brake)."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings

from bench.practices import bench_practices
from bench.ticks import ticks_until_quiet
from bench.workload import backfill_seed
from bench.world import World
from integrations.ghl.transport import BURST_MAX_CALLS, BURST_WINDOW_SECONDS

TARGET_PATIENTS = 10_000


def window_bound_seconds(calls: int) -> float:
    """The least time `calls` requests can take under 100 per sliding 10 s: the first
    hundred at once, each further hundred one window later."""
    return max(0, (calls - 1) // BURST_MAX_CALLS) * BURST_WINDOW_SECONDS


def backfill_measure(*, patients: int) -> dict[str, Any]:
    """Sync `patients` patients (one upcoming visit each) from a fresh practice, ticks back
    to back; minutes of simulated time are scaled to 10,000 patients when fewer ran."""
    with bench_practices(label="backfill") as (practice,):
        world = World(practice=practice)
        world.crm_setup()
        backfill_seed(world.emr, patients=patients)
        world.clock.advance(60)
        started, wall = world.clock.monotonic(), time.perf_counter()
        totals = ticks_until_quiet(world)
        seconds = world.clock.monotonic() - started
        wall = time.perf_counter() - wall
        location = world.ghl_app.state.locations[world.location.id]
        contacts, rejected = len(location.contacts), world.ghl_adapter.statuses[429]
    bound = window_bound_seconds(totals.ghl_calls)
    scale = TARGET_PATIENTS / patients
    return {
        "backfill_10k_patients_minutes": round(seconds * scale / 60, 1),
        "backfill_patients_measured": patients,
        "backfill_contacts_created": contacts,
        "backfill_ghl_calls": totals.ghl_calls,
        "backfill_nextech_calls": totals.nextech_calls,
        "backfill_ghl_calls_per_patient": round(totals.ghl_calls / patients, 2),
        "backfill_bound_minutes": round(bound * scale / 60, 1),
        "backfill_ratio_to_bound": round(seconds / bound, 3) if bound else None,
        "backfill_ticks": totals.ticks,
        "backfill_longest_tick_s": round(max(totals.durations), 1),
        "backfill_q_timeout_s": settings.Q_CLUSTER["timeout"],
        "backfill_ghl_429s": rejected,
        "backfill_wall_seconds": round(wall, 1),
        "backfill_errors": totals.errors + totals.dead_letters,
    }
