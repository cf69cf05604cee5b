"""Throwaway practices: created for one measurement, dropped (schema and all) afterwards."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from tenants.models import Practice
from tenants.services import practice_create, public_tenant_ensure

SLUG_PREFIX = "bench-"


def bench_practice_create(*, label: str, payments: bool = False) -> Practice:
    """A new active practice whose poll schedule stays disabled.

    Active, because the tick entry point only polls active practices; its schedule is left
    off (status set without `practice_set_status`), so a qcluster sharing this database
    never polls a benchmark practice behind the benchmark's back.
    """
    public_tenant_ensure()
    slug = f"{SLUG_PREFIX}{label}-{uuid.uuid4().hex[:6]}"
    practice = practice_create(practice=Practice(
        name=f"Benchmark {label}", slug=slug, practice_type=Practice.Kind.SURGICAL_AND_MEDSPA,
        time_zone="America/New_York", country="US", payments_enabled=payments))
    Practice.objects.filter(pk=practice.pk).update(status=Practice.Status.ACTIVE)
    practice.status = Practice.Status.ACTIVE
    return practice


def bench_practice_drop(*, practice: Practice) -> None:
    practice.delete(force_drop=True)  # its schedule goes with it (tenants.signals)


def bench_practices_drop(practices: list[Practice]) -> None:
    """Drop them all, even when one of them fails to drop; then say which did."""
    failures = []
    for practice in practices:
        try:
            bench_practice_drop(practice=practice)
        except Exception as exc:  # noqa: BLE001 - keep dropping the others first
            failures.append(f"{practice.slug}: {exc}")
    if failures:
        raise RuntimeError("benchmark practices left behind: " + "; ".join(failures))


def bench_leftovers_drop() -> int:
    """Drop the practices a killed benchmark run left behind; returns how many."""
    left = list(Practice.objects.filter(slug__startswith=SLUG_PREFIX))
    bench_practices_drop(left)
    return len(left)


def bench_database_ready() -> None:
    """As `make demo` does, bring the database up to date; a killed run's practices go
    before the tenant schemas are migrated (their schema may be half gone)."""
    from django.core.management import call_command

    call_command("migrate_schemas", shared=True, verbosity=0, interactive=False)
    bench_leftovers_drop()
    call_command("migrate_schemas", verbosity=0, interactive=False)


@contextmanager
def bench_practices(*, label: str, count: int = 1, payments: bool = False
                    ) -> Iterator[list[Practice]]:
    """`count` throwaway practices, dropped on the way out whatever happened."""
    made: list[Practice] = []
    try:
        for n in range(count):
            made.append(bench_practice_create(label=f"{label}{n}", payments=payments))
        yield made
    finally:
        bench_practices_drop(made)
