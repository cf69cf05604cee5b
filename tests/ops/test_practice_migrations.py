"""Releases at many practices: which schemas lack a migration is read in a few queries,
the release step migrates only those, and /readyz says while practices are behind."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from axconnect import health
from tenants import schema_versions
from tenants.schema_versions import migrations_on_disk, schemas_behind


def _shared_app_leaf() -> tuple[str, str]:
    """The newest `tenants` migration: recorded in every practice schema, but its tables
    live in public, so re-running it in a practice schema changes nothing but the record."""
    (leaf,) = MigrationLoader(None).graph.leaf_nodes("tenants")
    return leaf


@pytest.fixture
def alpha_lacks_a_migration(practices, db):
    """As if a release had added a migration p_alpha has not run yet (rolled back after)."""
    with schema_context("p_alpha"), connection.cursor() as cursor:
        cursor.execute("DELETE FROM django_migrations WHERE app = %s AND name = %s",
                       _shared_app_leaf())
    health._practices_current = False
    yield
    health._practices_current = False


def test_up_to_date_schemas_are_not_behind(practices, db):
    assert schemas_behind(["p_alpha", "p_bravo"]) == []


def test_a_schema_lacking_a_migration_is_behind(alpha_lacks_a_migration):
    assert schemas_behind(["p_bravo", "p_alpha"]) == ["p_alpha"]


def test_a_migration_on_disk_that_no_schema_has_puts_all_behind(practices, db):
    expected = migrations_on_disk() | {("integrations", "9999_next_release")}
    assert schemas_behind(["p_alpha", "p_bravo"], expected) == ["p_alpha", "p_bravo"]


def test_the_read_is_one_query_per_chunk_of_schemas(practices, db, monkeypatch):
    monkeypatch.setattr(schema_versions, "CHUNK", 1)
    expected = migrations_on_disk()
    with CaptureQueriesContext(connection) as queries:
        schemas_behind(["p_alpha", "p_bravo"], expected)
    reads = [q for q in queries if "django_migrations" in q["sql"]]
    assert len(reads) == 2


def test_release_step_migrates_only_the_schema_behind(alpha_lacks_a_migration):
    out = StringIO()
    call_command("migrate_practices", verbosity=0, stdout=out)
    assert "1 of " in out.getvalue()
    assert schemas_behind(["p_alpha", "p_bravo"]) == []


def test_readyz_reports_practices_behind_without_failing(alpha_lacks_a_migration, client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"]["practice_migrations"].startswith("migrating: 1 of ")
