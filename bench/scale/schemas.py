"""Creating and migrating practice schemas as their number grows."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from io import StringIO

from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django_tenants.utils import schema_context

from bench.practices import bench_practice_create
from tenants.models import Practice
from tenants.schema_versions import schemas_behind

LABEL = "scale"
TIMED_CREATIONS = 5  # creation time at N: the median of the last few before reaching N


def _timed(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def practices_grow_to(count: int, made: list[Practice]) -> float:
    """Create benchmark practices until `made` holds `count`; the median seconds one
    creation took just before reaching it."""
    times: list[float] = []
    while len(made) < count:
        started = time.perf_counter()
        made.append(bench_practice_create(label=f"{LABEL}{len(made)}"))
        times.append(time.perf_counter() - started)
    return round(statistics.median(times[-TIMED_CREATIONS:]), 3) if times else 0.0


def _quiet(command: str, **options: object) -> None:
    call_command(command, verbosity=0, stdout=StringIO(), **options)


def pg_class_rows() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_class")
        return int(cursor.fetchone()[0])


def _tenants_leaf() -> tuple[str, str]:
    (leaf,) = MigrationLoader(None).graph.leaf_nodes("tenants")
    return leaf


def _unrecord_in_every_practice(migration: tuple[str, str]) -> None:
    """As if a release brought a new migration: forget one in every practice schema. The
    newest `tenants` migration is recorded in each practice schema while its tables live
    in public, so running it again there is Django's whole per-schema cost and no DDL."""
    for schema in Practice.objects.exclude(schema_name="public").values_list(
            "schema_name", flat=True):
        with schema_context(schema), connection.cursor() as cursor:
            cursor.execute("DELETE FROM django_migrations WHERE app = %s AND name = %s",
                           migration)


def migrations_measure() -> dict[str, float]:
    """Seconds for the release step with nothing to do, for django-tenants' own no-op, and
    for one new migration in every practice (sequential and multiprocessing)."""
    leaf = _tenants_leaf()
    schemas = list(Practice.objects.exclude(schema_name="public")
                   .values_list("schema_name", flat=True))
    figures = {
        # The release step's two parts: the public schema (whatever the agency's size)
        # and finding the practices behind (grows with it).
        "public_noop": _timed(lambda: _quiet("migrate_schemas", shared=True,
                                             interactive=False)),
        "practices_behind_read": _timed(lambda: schemas_behind(schemas)),
        "release_noop": _timed(lambda: _quiet("migrate_practices")),
        "migrate_schemas_noop": _timed(lambda: _quiet("migrate_schemas",
                                                      executor="standard",
                                                      interactive=False)),
    }
    _unrecord_in_every_practice(leaf)
    figures["new_migration"] = _timed(lambda: _quiet("migrate_practices"))
    _unrecord_in_every_practice(leaf)
    figures["new_migration_multiprocessing"] = _timed(
        lambda: _quiet("migrate_practices", executor="multiprocessing"))
    return {name: round(seconds, 3) for name, seconds in figures.items()}
