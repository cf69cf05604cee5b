"""`python -m bench.scale [--sizes 100,1000] [--out bench-scale.json]`."""

from __future__ import annotations

import argparse
import json
import logging
import os
import time
from pathlib import Path
from typing import Any

import django

AGENCY = 10_000  # the practices the extrapolations are for


def _extrapolated_minutes(seconds: float, measured_at: int) -> float:
    """Linear in the number of practices, from the largest size measured. Each practice's
    share only grows with pg_class, so this is the floor of what 10,000 would take for
    costs that scan the catalog, and about right for those that do not."""
    return round(seconds / measured_at * AGENCY / 60, 1)


def measure(sizes: list[int]) -> dict[str, Any]:
    from bench.practices import bench_practices_drop
    from bench.scale.connections import idle_cluster_connections, ticks_through_pgbouncer_ok
    from bench.scale.scheduler import scheduler_cycle
    from bench.scale.schemas import migrations_measure, pg_class_rows, practices_grow_to

    results: dict[str, Any] = {"sizes": sizes}
    made: list = []
    try:
        for size in sizes:
            print(f"growing to {size} practices ...", flush=True)
            results[f"practice_create_seconds_at_{size}"] = practices_grow_to(size, made)
            results[f"pg_class_rows_at_{size}"] = pg_class_rows()
            print(f"migrating {size} practices ...", flush=True)
            figures = migrations_measure()
            results[f"migrate_noop_seconds_at_{size}"] = figures["release_noop"]
            results[f"migrate_public_noop_seconds_at_{size}"] = figures["public_noop"]
            results[f"practices_behind_read_seconds_at_{size}"] = (
                figures["practices_behind_read"])
            results[f"migrate_schemas_noop_seconds_at_{size}"] = figures["migrate_schemas_noop"]
            results[f"migrate_new_seconds_at_{size}"] = figures["new_migration"]
            results[f"migrate_new_multiprocessing_seconds_at_{size}"] = (
                figures["new_migration_multiprocessing"])
    finally:
        bench_practices_drop(made)
    largest = sizes[-1]
    # The no-op release: the public schema's part as measured, the practices' part scaled.
    results["migrate_10k_practices_minutes_extrapolated"] = round(
        results[f"migrate_public_noop_seconds_at_{largest}"] / 60 + _extrapolated_minutes(
            results[f"practices_behind_read_seconds_at_{largest}"], largest), 1)
    results["migrate_new_10k_practices_minutes_extrapolated"] = _extrapolated_minutes(
        min(results[f"migrate_new_seconds_at_{largest}"],
            results[f"migrate_new_multiprocessing_seconds_at_{largest}"]), largest)
    for count in (1000, 5000):
        print(f"scheduler cycle with {count} due schedules ...", flush=True)
        for broker, figures in scheduler_cycle(count).items():
            results[f"scheduler_cycle_seconds_at_{count}" + ("" if broker == "orm"
                                                              else f"_{broker}")] = (
                figures["seconds"])
            results[f"scheduler_cycle_statements_at_{count}_{broker}"] = figures["statements"]
    print("connections ...", flush=True)
    results["db_connections_per_cluster"] = idle_cluster_connections()
    results["ticks_through_pgbouncer_ok"] = ticks_through_pgbouncer_ok()
    return results


TARGETS = {"migrate_10k_practices_minutes_extrapolated": 15.0}


def table(results: dict[str, Any]) -> str:
    lines = []
    for name, value in results.items():
        limit = TARGETS.get(name)
        verdict = "" if limit is None else ("PASS" if value <= limit else "MISS") + \
            f" (target <= {limit:g})"
        lines.append(f"{name:<52} {value!s:>12}  {verdict}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__)
    parser.add_argument("--sizes", default="100,1000",
                        help="practice counts to measure at, ascending")
    parser.add_argument("--out", default="bench-scale.json")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "axconnect.settings")
    django.setup()
    logging.disable(logging.INFO)
    from django.core.management import call_command

    from bench.practices import bench_leftovers_drop

    call_command("migrate_schemas", shared=True, verbosity=0, interactive=False)
    bench_leftovers_drop()
    call_command("migrate_practices", verbosity=0)
    started = time.monotonic()
    results = measure(sorted(int(s) for s in args.sizes.split(",")))
    results["run_minutes"] = round((time.monotonic() - started) / 60, 1)
    print(table(results))
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
