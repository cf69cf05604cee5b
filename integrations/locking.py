"""One tick per practice at a time, across every worker on every machine.

A PostgreSQL session-level advisory lock keyed on the schema name: the database is the
one thing all qcluster processes share, whichever broker they use.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

LOCK_NAMESPACE = "axconnect:tick:"


@contextmanager
def practice_tick_lock(schema_name: str) -> Iterator[bool]:
    """Yield True holding the practice's lock, or False at once when another tick has it."""
    key = LOCK_NAMESPACE + schema_name
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(hashtext(%s))", [key])
        acquired = bool(cursor.fetchone()[0])
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(hashtext(%s))", [key])
