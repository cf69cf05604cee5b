"""Adaptive polling: a practice polled as its poll plan says, over simulated time.

Every tick is a real tick against the in-process sandboxes (100 ms per API call), and
after each one the real `practice_poll_finished` counts its Nextech requests and plans the
next poll (opening hours, slow nights, the daily budget, from the calls per poll seen so
far that day). What django-q2 adds is modelled: its scheduler fires a due schedule at its
next run, every 30 s, and the task starts after the broker's pickup delay (Q_POLL, 1 s).
"""

from __future__ import annotations

import random
import statistics
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bench.changes import Staff
from bench.latency import API_CALL_SECONDS
from bench.practices import bench_practices
from bench.scenarios.latency import note_times, percentile
from bench.scenarios.workers import CHANGES_PER_PRACTICE_HOUR
from bench.ticks import ticks_until_quiet
from bench.timeline import Timeline
from bench.workload import practice_history_seed
from bench.world import World
from tenants.models import Practice
from tenants.poll_budget import practice_poll_finished

SCHEDULER_CYCLE_SECONDS = 30.0  # django-q2 calls its scheduler every 60 guard cycles of 0.5 s
PICKUP_SECONDS = 1.0  # Q_POLL: the broker hands a queued task out within this
ZONE = ZoneInfo("America/New_York")
MONDAY = datetime(2026, 6, 8, tzinfo=ZONE)  # an ordinary Monday: open 07:00-19:00
BUDGET = 1000


@dataclass
class Run:
    ticks: int = 0
    nextech_calls: int = 0
    delays: list[float] = field(default_factory=list)
    changes: int = 0
    fast_minutes: list[float] = field(default_factory=list)  # in opening hours, as planned


def _scheduled_run(*, label: str, fast_minutes: int, budget: int | None, start: datetime,
                   hours: float, change_hours: tuple[float, float], changes: int,
                   history: int, seed: int) -> Run:
    """Poll from `start` for `hours` as the plan says; `changes` staff changes at uniformly
    random moments between `change_hours` (hours after `start`)."""
    with bench_practices(label=label, payments=True) as (practice,):
        Practice.objects.filter(pk=practice.pk).update(
            poll_interval_minutes=fast_minutes, nextech_daily_call_budget=budget)
        practice.refresh_from_db()
        # The practice's history syncs the evening before, outside the measured day.
        clock = Timeline(start - timedelta(hours=2))
        world = World(practice=practice, clock=clock, latency=API_CALL_SECONDS)
        world.crm_setup()
        practice_history_seed(world.emr, patients=history)
        clock.advance(60)
        ticks_until_quiet(world)

        rng = random.Random(seed)  # noqa: S311 - benchmark timing, not secrets
        staff = Staff(emr=world.emr, rng=rng)
        made: list[tuple[str, datetime]] = []
        origin = clock.monotonic() + (start - clock.now()).total_seconds()
        for _ in range(changes):
            clock.at(origin + 3600 * rng.uniform(*change_hours),
                     lambda: made.append((staff.change(), clock.now())))
        phase = rng.uniform(0, SCHEDULER_CYCLE_SECONDS)  # where the scheduler's cycle falls
        run, slot, end = Run(), start, start + timedelta(hours=hours)
        while slot < end:
            due = origin + (slot - start).total_seconds()
            cycles = max(0, int((due - phase) // SCHEDULER_CYCLE_SECONDS) + 1)
            clock.run_until(max(clock.monotonic(),
                                phase + cycles * SCHEDULER_CYCLE_SECONDS + PICKUP_SECONDS))
            summary: dict[str, Any] = world.tick()
            run.ticks += 1
            run.nextech_calls += int(summary.get("nextech_calls", 0))
            plan = practice_poll_finished(practice=practice, summary=summary, slot=slot,
                                          now=clock.now())
            if plan.open_now:
                run.fast_minutes.append(plan.fast / timedelta(minutes=1))
            slot = plan.next_poll_at

        notes = note_times(world)
        for appointment_id, at in made:
            after = [t for t in notes.get(appointment_id, []) if t >= at]
            if after:
                run.delays.append((min(after) - at).total_seconds())
        run.changes = len(made)
    return run


def _rounded(pick: Any, values: list[float], pct: int) -> float | None:
    return round(pick(values, pct), 1) if len(values) >= 2 else None


def polling_measure(*, latency_hours: float, latency_changes: int, day_hours: float,
                    history: int) -> dict[str, Any]:
    opening = datetime.combine(MONDAY.date(), time(9), ZONE)
    latency = _scheduled_run(label="poll1min", fast_minutes=1, budget=None, start=opening,
                             hours=latency_hours, change_hours=(0, latency_hours),
                             changes=latency_changes, history=history, seed=5)
    # Staff make their changes while the practice is open (07:00-19:00).
    day_changes = int(CHANGES_PER_PRACTICE_HOUR * max(0.0, min(day_hours, 19) - 7))
    open_hours = (7.0, max(7.0, min(day_hours, 19.0)))
    default = _scheduled_run(label="pollday", fast_minutes=5, budget=None, start=MONDAY,
                             hours=day_hours, change_hours=open_hours, changes=day_changes,
                             history=history, seed=6)
    budgeted = _scheduled_run(label="pollbudget", fast_minutes=1, budget=BUDGET, start=MONDAY,
                              hours=day_hours, change_hours=open_hours, changes=day_changes,
                              history=history, seed=6)
    delays, stretched = latency.delays, budgeted.fast_minutes
    return {
        "latency_p50_s_opening_hours_1min": _rounded(percentile, delays, 50),
        "latency_p95_s_opening_hours_1min": _rounded(percentile, delays, 95),
        "latency_max_s_opening_hours_1min": round(max(delays), 1) if delays else None,
        "latency_undelivered_opening_hours_1min": latency.changes - len(latency.delays),
        "latency_ticks_opening_hours_1min": latency.ticks,
        "nextech_calls_per_practice_day": default.nextech_calls,
        "polls_per_practice_day": default.ticks,
        "nextech_calls_per_practice_day_budgeted": budgeted.nextech_calls,
        "polls_per_practice_day_budgeted": budgeted.ticks,
        # The opening-hours interval the budget stretched 1 minute to (None: never open).
        "budgeted_interval_minutes_median": statistics.median(stretched) if stretched else None,
        "budgeted_interval_minutes_max": max(stretched) if stretched else None,
        "polling_day_changes": day_changes,
        "polling_day_hours": day_hours,
        "polling_budget": BUDGET,
    }
