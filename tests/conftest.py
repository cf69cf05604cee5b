"""Shared fixtures: two practices (schemas) per test session, reused across tests.

Creating a schema runs every tenant migration, so it is paid once per session (and kept
between runs with --reuse-db), not once per test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection

from tenants.models import Practice


def _session_practice(slug: str, name: str) -> Practice:
    from tenants.services import practice_create, public_tenant_ensure

    public_tenant_ensure()
    existing = Practice.objects.filter(slug=slug).first()
    if existing is not None:
        return existing
    # Onboarding: its committed schedule stays disabled, so a qcluster started by another
    # test never polls it. Tests that need an active practice activate it in their
    # own transaction.
    return practice_create(practice=Practice(name=name, slug=slug))


@pytest.fixture(scope="session", autouse=True)
def _test_database(django_db_setup: None) -> None:
    """Every test, even one that only commits through django_db_blocker, uses the test
    database: without this a lone such test would write to the development database."""


@pytest.fixture(scope="session")
def practices(
    django_db_setup: None, django_db_blocker: pytest.FixtureRequest
) -> dict[str, Practice]:
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        return {
            "a": _session_practice("alpha", "Alpha Plastic Surgery"),
            "b": _session_practice("bravo", "Bravo Med Spa"),
        }


@pytest.fixture
def practice_a(practices: dict[str, Practice], db: None) -> Practice:
    practice = Practice.objects.get(pk=practices["a"].pk)
    practice.status = Practice.Status.ACTIVE
    practice.save(update_fields=["status"])
    return practice


@pytest.fixture
def practice_b(practices: dict[str, Practice], db: None) -> Practice:
    return Practice.objects.get(pk=practices["b"].pk)


@pytest.fixture
def in_practice(practice_a: Practice) -> Iterator[Practice]:
    """Run the test inside practice A's schema; rolled back afterwards like any `db` test."""
    connection.set_tenant(practice_a)
    yield practice_a
    connection.set_schema_to_public()


@pytest.fixture(autouse=True)
def _public_schema_between_tests() -> Iterator[None]:
    """Every test starts and ends in the public schema, whatever the last one did."""
    connection.set_schema_to_public()  # type: ignore[attr-defined]
    yield
    connection.set_schema_to_public()  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _plain_http(settings: pytest.FixtureRequest) -> None:
    """Production redirects to HTTPS; the test client speaks plain HTTP."""
    settings.SECURE_SSL_REDIRECT = False  # type: ignore[attr-defined]
