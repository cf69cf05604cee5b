"""`make bench` in a tiny configuration: every figure issue 8 asks for is measured and
written to bench.json as a number.

No timing is asserted: the figures depend on the machine. Counts that do not depend on it
are: re-polling a synced week and an idle tick must cost zero GoHighLevel calls.
"""

from __future__ import annotations

import json
from dataclasses import asdict

from bench.report import bench_document
from bench.run import bench_notes, bench_run
from bench.sizes import TINY
from tenants.models import Practice

REQUIRED = (
    "engine_events_per_s", "peak_rss_mb",
    "nextech_calls_per_idle_tick", "ghl_calls_per_idle_tick",
    "ghl_calls_per_appointment_event", "nextech_calls_per_appointment_event",
    "ghl_calls_per_repoll",
    "latency_p50_s_at_60s", "latency_p95_s_at_60s", "latency_p95_s_at_300s",
    "practices_per_worker_5min", "worker_cpu_share", "practices_per_worker_1min",
    "practices_per_4_workers_5min",
    "backfill_10k_patients_minutes",
    "nxt_create_latency_p50_s", "nxt_create_latency_p95_s",
    "nxt_create_latency_p50_s_lost_webhook", "nxt_create_latency_p95_s_lost_webhook",
    "latency_p95_s_opening_hours_1min", "nextech_calls_per_practice_day",
    "nextech_calls_per_practice_day_budgeted",
)


def test_the_tiny_bench_writes_every_figure(practices, django_db_blocker, tmp_path):
    with django_db_blocker.unblock():
        results = bench_run(sizes=TINY)
        left_behind = Practice.objects.filter(slug__startswith="bench-").count()
    path = tmp_path / "bench.json"
    notes = bench_notes(results, TINY)
    path.write_text(json.dumps(bench_document(results, notes=notes, sizes=asdict(TINY))))

    written = json.loads(path.read_text())
    for key in REQUIRED:
        assert isinstance(written.get(key), int | float), f"{key}: {written.get(key)!r}"
    assert written["targets"]["nxt_create_latency_p95_s"]["verdict"] in ("PASS", "MISS")
    for path in ("", "_lost_webhook"):  # every tag seen, every contact given its patient
        assert written[f"nxt_create_tags{path}"] == TINY.latency_changes
        assert written[f"nxt_create_not_created{path}"] == 0
    assert written["ghl_calls_per_repoll"] == 0
    assert written["ghl_calls_per_idle_tick"] == 0
    assert written["latency_undelivered_at_60s"] == 0
    assert written["demo_week_errors"] == written["worker_errors"] == 0
    assert left_behind == 0
