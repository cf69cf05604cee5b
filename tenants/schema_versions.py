"""Which practice schemas are behind the migrations on disk, found in a few queries.

`migrate_schemas` opens every schema in turn and runs Django's whole migrate command there
(58 ms a schema at 50 practices, 171 ms at 500: some of its statements scan all of
`pg_class`, which grows by 146 rows a practice), even when nothing is to be done. Reading
each schema's `django_migrations` in one UNION query per few hundred schemas answers "is
anything to do, and where" in milliseconds a hundred schemas, so a release with no new
migration touches no schema and one with a new migration migrates only the schemas that
lack it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.db import connection
from django.db.migrations.loader import MigrationLoader

CHUNK = 250  # schemas per query: one statement of a few hundred UNION branches


def migrations_on_disk() -> frozenset[tuple[str, str]]:
    """Every migration a practice schema records: all apps' (django-tenants runs them all
    in each schema; the router decides which create tables)."""
    return frozenset(MigrationLoader(None, ignore_no_migrations=True).graph.nodes)


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), CHUNK):
        yield items[start:start + CHUNK]


def schemas_behind(schemas: Iterable[str],
                   expected: frozenset[tuple[str, str]] | None = None) -> list[str]:
    """The schemas whose django_migrations lack any migration on disk, in input order."""
    expected = migrations_on_disk() if expected is None else expected
    wanted = sorted(f"{app}.{name}" for app, name in expected)
    ordered = list(dict.fromkeys(schemas))
    complete: set[str] = set()
    for chunk in _chunks(ordered):
        # Schema names are django-tenants-validated identifiers; quoted all the same.
        branches = " UNION ALL ".join(
            "SELECT %s AS schema, app || '.' || name AS migration FROM "  # noqa: S608
            f"{connection.ops.quote_name(schema)}.django_migrations"
            for schema in chunk
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT schema FROM ({branches}) recorded WHERE migration = ANY(%s) "  # noqa: S608
                "GROUP BY schema HAVING count(DISTINCT migration) = %s",
                [*chunk, wanted, len(wanted)],
            )
            complete.update(row[0] for row in cursor.fetchall())
    return [schema for schema in ordered if schema not in complete]
