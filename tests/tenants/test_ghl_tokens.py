"""GoHighLevel tokens kept in the database: encrypted, refreshed once under concurrency,
and a refused refresh tells staff to reconnect."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client

from integrations.ghl.oauth import oauth_token_refresh
from integrations.ghl.sandbox.signing import SigningKeys
from integrations.http import ApiError, ErrorKind
from integrations.sandbox_kit.faults import Fault
from integrations.sandbox_kit.transport import in_process_session
from tenants.ghl.client import ghl_client_for
from tenants.ghl.config import ghl_oauth_app
from tenants.ghl.tokens import DbTokenStore
from tenants.models import GhlCredential, Practice
from tests.support.staff import staff_login
from tests.tenants.ghl_fixtures import (
    BASE,
    committed_practice,
    credential_point,
    practice_connect,
    run_at_once,
    sandbox_location,
    sandbox_make,
)


@pytest.fixture(scope="module")
def keys() -> SigningKeys:
    return SigningKeys.generate()


@pytest.fixture
def sandbox(keys):
    return sandbox_make(keys=keys)


def _raw(pk: int, column: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM tenants_ghlcredential WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


def test_connected_tokens_are_ciphertext_in_the_database_and_work(practice_a, sandbox):
    location_id = sandbox_location(sandbox)
    credential, session = practice_connect(practice=practice_a, sandbox=sandbox,
                                           location_id=location_id)

    stored = GhlCredential.objects.get(pk=credential.pk)
    assert stored.location_id == location_id and stored.connected_at is not None
    for column in ("access_token", "refresh_token"):
        plaintext = getattr(stored, column)
        assert plaintext and plaintext not in _raw(credential.pk, column)
    client = ghl_client_for(practice=practice_a, session=session)
    assert {p.name for p in client.pipelines_list()}  # the stored token is accepted


def test_refused_refresh_sets_needs_attention_reconnect_visible_in_the_admin(practice_a, sandbox):
    location_id = sandbox_location(sandbox)
    credential, session = practice_connect(practice=practice_a, sandbox=sandbox,
                                           location_id=location_id)
    # Someone else spends the stored refresh token, then the access token stops working.
    pair = DbTokenStore(practice=practice_a).load()
    oauth_token_refresh(app=ghl_oauth_app(credential=credential), pair=pair, session=session)
    sandbox.state.access_tokens_revoke(location_id=location_id)

    client = ghl_client_for(practice=practice_a, session=session)
    with pytest.raises(ApiError) as refused:
        client.pipelines_list()

    assert refused.value.kind is ErrorKind.CONFIG
    practice = Practice.objects.get(pk=practice_a.pk)
    assert practice.status == Practice.Status.NEEDS_ATTENTION
    assert practice.status_reason == "reconnect GoHighLevel"
    admin = User.objects.create_superuser("ghl-admin", "g@example.com", "correct horse 42")
    browser = Client(HTTP_HOST="localhost")
    staff_login(browser, admin)
    listing = browser.get("/admin/tenants/practice/").content.decode()
    assert "reconnect GoHighLevel" in listing
    page = browser.get(f"/admin/tenants/practice/{practice.pk}/change/").content.decode()
    assert "Needs attention: reconnect GoHighLevel</strong> &mdash; Invalid grant: refresh token " \
        "is invalid" in page
    assert "Reconnect GoHighLevel" in page
    portal = Client(HTTP_HOST="alpha.localhost")
    staff_login(portal, admin)
    dashboard = portal.get("/").content.decode()
    assert "Needs attention</span>" in dashboard and "(reconnect GoHighLevel)" in dashboard


def test_reconnecting_clears_the_needs_attention_status(practice_a, sandbox):
    location_id = sandbox_location(sandbox)
    practice_connect(practice=practice_a, sandbox=sandbox, location_id=location_id)
    practice_a.refresh_from_db()
    practice_a.status, practice_a.status_reason = "needs_attention", "reconnect GoHighLevel"
    practice_a.save()

    practice_connect(practice=practice_a, sandbox=sandbox, location_id=location_id)

    practice_a.refresh_from_db()
    assert (practice_a.status, practice_a.status_reason) == ("active", "")


def test_private_integration_token_is_used_as_is(practice_a, sandbox):
    location_id = sandbox_location(sandbox)
    token = sandbox.state.token_issue(kind="pit", user_type="Location", location_id=location_id,
                                      ttl_seconds=None)
    credential_point(practice=practice_a, base=BASE, auth_kind="private", private_token=token,
                     location_id=location_id)

    client = ghl_client_for(practice=practice_a, session=in_process_session(sandbox, BASE))

    assert client.pipelines_list()


def test_agency_install_mints_the_location_token(practice_a, sandbox):
    location_id = sandbox_location(sandbox)
    credential, session = practice_connect(practice=practice_a, sandbox=sandbox,
                                           location_id=location_id, auth_kind="agency")
    assert credential.company_id  # the agency (Company) pair is what was stored
    credential.location_id = location_id
    credential.save()

    client = ghl_client_for(practice=practice_a, session=session)

    assert client.pipelines_list()


def test_practice_without_credentials_needs_a_reconnect(practice_a):
    with pytest.raises(ApiError) as missing:
        ghl_client_for(practice=practice_a)
    assert missing.value.kind is ErrorKind.CONFIG
    practice_a.refresh_from_db()
    assert practice_a.status_reason == "reconnect GoHighLevel"


def test_two_workers_refreshing_one_location_at_once_end_with_one_valid_pair(
    django_db_setup, django_db_blocker, keys
):
    sandbox = sandbox_make(keys=keys)
    location_id = sandbox_location(sandbox)
    # Each worker has its own database connection, so the rows must be committed.
    with django_db_blocker.unblock(), committed_practice("Two Workers Clinic") as practice:
        practice_connect(practice=practice, sandbox=sandbox, location_id=location_id)
        sandbox.state.access_tokens_revoke(location_id=location_id)
        # The first refresh answers slowly, so the second worker's overlaps it.
        sandbox.state.faults.add(Fault(kind="slow", remaining=1, path_prefix="/oauth/token",
                                       delay_seconds=0.5))
        refreshes_before = sandbox.state.counters["POST /oauth/token"]

        def worker() -> int:
            client = ghl_client_for(practice=practice, session=in_process_session(sandbox, BASE))
            return len(client.pipelines_list())  # 401, refresh, retry

        answers, errors = run_at_once(worker, workers=2)

        assert errors == [] and len(answers) == 2
        assert sandbox.state.counters["POST /oauth/token"] - refreshes_before == 1
        pair = DbTokenStore(practice=practice).load()
        assert pair is not None and pair.refresh_token is not None
        assert sandbox.state.token_valid(pair.access_token, kind="access")
        assert sandbox.state.token_valid(pair.refresh_token, kind="refresh")
        practice.refresh_from_db()
        assert practice.status == Practice.Status.ONBOARDING  # nobody was told to reconnect
