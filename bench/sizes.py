"""How big each measurement is: the full run of `make bench`, and a tiny one for its test."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sizes:
    throughput_patients: int  # each with one to three visits
    latency_hours_60s: float  # simulated hours of changes, polled every 60 s
    latency_hours_300s: float
    latency_changes: int  # per interval
    latency_history_patients: int  # already synced when the changes start
    backfill_patients: int  # scaled to 10,000 in the report
    worker_practices: int
    worker_threads: int
    worker_seconds: float  # real seconds per measured phase
    polling_day_hours: float  # simulated hours of the adaptive-polling day, from midnight


FULL = Sizes(throughput_patients=150, latency_hours_60s=2, latency_hours_300s=8,
             latency_changes=150, latency_history_patients=30, backfill_patients=2_000,
             worker_practices=32, worker_threads=24, worker_seconds=20,
             polling_day_hours=24)  # AXC_TICK_THREADS default

TINY = Sizes(throughput_patients=4, latency_hours_60s=0.1, latency_hours_300s=0.25,
             latency_changes=4, latency_history_patients=2, backfill_patients=40,
             worker_practices=4, worker_threads=2, worker_seconds=0.5,
             polling_day_hours=2)
