"""Shared fixtures: two practices (schemas) per test session, reused across tests.

Creating a schema runs every tenant migration, so it is paid once per session (and kept
between runs with --reuse-db), not once per test.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

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


@pytest.fixture(scope="session")
def django_db_setup(
    request: pytest.FixtureRequest,
    django_test_environment: None,
    django_db_blocker: Any,
    django_db_keepdb: bool,
    django_db_createdb: bool,
    django_db_modify_db_settings: None,
) -> Iterator[None]:
    """pytest-django's set-up, but always for the default database.

    pytest-django creates the test database only when a collected test asks for `db`; a
    run of tests that commit through `django_db_blocker` alone would otherwise write to
    the development database.
    """
    from django.test.utils import setup_databases, teardown_databases

    keepdb = django_db_keepdb and not django_db_createdb
    with django_db_blocker.unblock():
        config = setup_databases(verbosity=request.config.option.verbose, interactive=False,
                                 aliases={"default"}, keepdb=keepdb)
    yield
    if not django_db_keepdb:
        with django_db_blocker.unblock():
            teardown_databases(config, verbosity=request.config.option.verbose)


@pytest.fixture(scope="session", autouse=True)
def _test_database(django_db_setup: None) -> None:
    """Every test runs with the test database set up, whatever fixtures it asks for."""


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


@pytest.fixture
def admin_client(client: Any, admin_user: Any) -> Any:
    """pytest-django's signed-in superuser, past the second factor the admin asks for."""
    from tests.support.staff import staff_login

    staff_login(client, admin_user)
    return client
