"""Run every measurement in order and gather the figures (Django must be set up)."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import Any

from bench.scenarios.backfill import TARGET_PATIENTS, backfill_measure
from bench.scenarios.calls import calls_per_event_measure
from bench.scenarios.latency import latency_measure
from bench.scenarios.nxt_create import nxt_create_latency_measure
from bench.scenarios.polling import PICKUP_SECONDS, SCHEDULER_CYCLE_SECONDS, polling_measure
from bench.scenarios.throughput import engine_throughput_measure
from bench.scenarios.workers import CHANGES_PER_PRACTICE_HOUR, FOUR, workers_measure
from bench.sizes import Sizes


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def bench_run(*, sizes: Sizes) -> dict[str, Any]:
    steps: list[tuple[str, Callable[[], dict[str, Any]]]] = [
        # First, so the process's peak memory is the engine's, not the backfill sandbox's.
        ("engine throughput", lambda: engine_throughput_measure(
            patients=sizes.throughput_patients)),
        ("calls per event, re-poll and idle tick", calls_per_event_measure),
        ("latency at 60 s", lambda: latency_measure(
            interval=60, hours=sizes.latency_hours_60s, changes=sizes.latency_changes,
            history=sizes.latency_history_patients)),
        ("latency at 300 s", lambda: latency_measure(
            interval=300, hours=sizes.latency_hours_300s, changes=sizes.latency_changes,
            history=sizes.latency_history_patients)),
        ("backfill", lambda: backfill_measure(patients=sizes.backfill_patients)),
        ("workers", lambda: workers_measure(practices=sizes.worker_practices,
                                            threads=sizes.worker_threads,
                                            seconds=sizes.worker_seconds)),
        # Half the 60 s latency run's hours: each of its two paths is polled every minute
        # for that long plus a tag search interval, which keeps the step near 30 s.
        ("NXT-Create", lambda: nxt_create_latency_measure(
            hours=sizes.latency_hours_60s / 2, tags=sizes.latency_changes)),
        ("adaptive polling", lambda: polling_measure(
            latency_hours=sizes.latency_hours_60s, latency_changes=sizes.latency_changes,
            day_hours=sizes.polling_day_hours, history=sizes.latency_history_patients)),
    ]
    results: dict[str, Any] = {}
    began = time.perf_counter()
    for name, step in steps:
        _say(f"measuring {name} ...")
        started = time.perf_counter()
        results.update(step())
        _say(f"  {name}: {time.perf_counter() - started:.1f} s")
    results["bench_wall_seconds"] = round(time.perf_counter() - began, 1)
    return results


def bench_notes(results: dict[str, Any], sizes: Sizes) -> list[str]:
    """How each figure was measured, with this run's sizes."""
    scale = TARGET_PATIENTS / sizes.backfill_patients
    return [
        f"Throughput: {results['engine_events_measured']} appointment events of "
        f"{sizes.throughput_patients} new patients synced from scratch through both sandboxes "
        "in-process, no latency; wall clock of the ticks only.",
        "Calls: the demo week (seed_demo_week) synced from scratch with payments off, so "
        "every call belongs to an appointment; re-poll = all cursors deleted and the week read "
        "again; idle = the second of two ticks 5 minutes apart with nothing changed.",
        f"Latency: simulated time, 100 ms per API call; {sizes.latency_changes} changes at "
        f"uniformly random moments over {sizes.latency_hours_60s} h (60 s) and "
        f"{sizes.latency_hours_300s} h (300 s) of polling; measured from the change in the "
        "Nextech sandbox to the event's note (its last write) in the GoHighLevel sandbox.",
        f"Workers: real time, both sandboxes over HTTP answering 100 ms late; a real qcluster "
        f"(ORM broker) with 1 or {FOUR} worker processes of {sizes.worker_threads} tick "
        f"threads; each of {sizes.worker_practices} practices polled again (the scheduled "
        f"task queued) as soon as its last tick ended, for {sizes.worker_seconds} s; "
        f"capacity = ticks/s x interval; staff make {CHANGES_PER_PRACTICE_HOUR} changes per "
        f"practice-hour. Cluster, sandboxes and PostgreSQL share this machine's "
        f"{os.cpu_count()} cores (the {FOUR}-worker cluster used "
        f"{results.get('worker_cpu_share_4_workers')} of a core, the sandboxes "
        f"{results.get('sandbox_cpu_share_4_workers')}; load average "
        f"{results.get('machine_load_average_1min')}), so the {FOUR}-worker figure is "
        "bound by the machine, not by the engine.",
        f"Backfill: {sizes.backfill_patients:,} patients with one upcoming visit each, one "
        f"location, simulated time, no latency, ticks back to back; minutes scaled x{scale:g} "
        f"to 10,000 patients. Bound = the least time the calls made can take under 100 per "
        f"sliding 10 s. Longest tick "
        f"{results.get('backfill_longest_tick_s')} s of simulated time; the qcluster kills a "
        f"task after {results.get('backfill_q_timeout_s')} s.",
        f"NXT-Create: simulated time, 100 ms per API call, ticks every 60 s; "
        f"{results.get('nxt_create_tags')} contacts tagged at uniformly random moments over "
        f"{sizes.latency_hours_60s / 2:g} h; measured from the tag in the GoHighLevel sandbox "
        "to the patient's creation in the Nextech sandbox. Webhook path: the sandbox's signed "
        "ContactTagUpdate is delivered at once (GoHighLevel's own sending delay is not "
        "modelled), verified and queued; the task starts after the broker's pickup delay, "
        f"modelled as django-q2's Q_POLL taken whole "
        f"({results.get('nxt_create_webhook_pickup_s')} s). Lost webhook: nothing delivered, "
        f"so only the tick's tag search finds the contact (every "
        f"{results.get('nxt_create_search_minutes')} min, nxt_create_reconcile_minutes).",
        f"Adaptive polling: simulated time from midnight of a Monday (America/New_York, open "
        f"07:00-19:00), 100 ms per API call, payments on; every tick real against the "
        f"sandboxes, and after each one the real poll plan (practice_poll_finished) counts "
        f"its Nextech requests and schedules the next poll; django-q2's scheduler is "
        f"modelled firing due schedules every {SCHEDULER_CYCLE_SECONDS:g} s and the task "
        f"starting {PICKUP_SECONDS:g} s later (Q_POLL). Calls per day: "
        f"{sizes.polling_day_hours:g} h with {results.get('polling_day_changes')} staff "
        f"changes in opening hours ({CHANGES_PER_PRACTICE_HOUR} per hour), default schedule "
        f"(5 min open, 30 min closed, no budget) and 1-minute polls under a "
        f"{results.get('polling_budget'):,} call budget (stretched to a median "
        f"{results.get('budgeted_interval_minutes_median')} min in opening hours). Opening-"
        f"hours latency: {sizes.latency_changes} changes over {sizes.latency_hours_60s:g} h "
        f"from 09:00 at the 1-minute interval, change in the Nextech sandbox to its note.",
    ]
