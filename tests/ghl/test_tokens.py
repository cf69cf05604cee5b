"""Token rotation: concurrent refreshes, spent refresh tokens, agency and private tokens."""

from __future__ import annotations

import threading

import pytest
import requests

from integrations.clock import SimulatedClock
from integrations.ghl.auth import AgencyTokenSource, OAuthTokenSource, PrivateTokenSource
from integrations.ghl.client import GhlClient
from integrations.ghl.oauth import OAuthApp, oauth_token_refresh
from integrations.ghl.sandbox import GhlSandbox
from integrations.ghl.tokens import InMemoryTokenStore
from integrations.http import ApiError, ErrorKind
from tests.ghl.conftest import BASE, ClientFactory, connect, control


def test_a_refresh_token_works_once(oauth_app: OAuthApp, session: requests.Session,
                                    store: InMemoryTokenStore, clock: SimulatedClock) -> None:
    pair = store.load()
    assert pair is not None
    renewed = oauth_token_refresh(app=oauth_app, pair=pair, session=session, clock=clock)

    assert renewed.refresh_token != pair.refresh_token
    assert renewed.location_id == pair.location_id
    with pytest.raises(ApiError) as caught:
        oauth_token_refresh(app=oauth_app, pair=pair, session=session, clock=clock)
    assert caught.value.kind is ErrorKind.CONFIG
    assert "reconnect GoHighLevel" in str(caught.value)


def test_two_workers_refreshing_at_once_end_with_one_valid_pair(
        make_client: ClientFactory, store: InMemoryTokenStore, session: requests.Session,
        location_id: str, sandbox: GhlSandbox) -> None:
    control(session, "POST", f"/locations/{location_id}/revoke-access-tokens")
    workers = [make_client(), make_client()]  # same stored row, like two qcluster processes
    barrier = threading.Barrier(2)
    failures: list[BaseException] = []

    def work(client: GhlClient) -> None:
        barrier.wait()
        try:
            client.users_list()
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)

    assert failures == []
    assert sandbox.state.counters["POST /oauth/token"] == 2  # the connect, then ONE refresh
    final = store.load()
    assert final is not None and store.saves == 1
    assert sandbox.state.token_valid(final.access_token, kind="access") is not None
    assert sandbox.state.token_valid(str(final.refresh_token), kind="refresh") is not None


def test_without_the_lock_a_second_refresh_would_lose_the_grant(
        oauth_app: OAuthApp, session: requests.Session, store: InMemoryTokenStore,
        clock: SimulatedClock) -> None:
    """Why the lock matters: the pair a slow worker read is spent once another refreshed."""
    stale = store.load()
    assert stale is not None
    oauth_token_refresh(app=oauth_app, pair=stale, session=session, clock=clock)
    with pytest.raises(ApiError):
        oauth_token_refresh(app=oauth_app, pair=stale, session=session, clock=clock)


def test_agency_token_mints_location_tokens(oauth_app: OAuthApp, session: requests.Session,
                                            location_id: str, clock: SimulatedClock) -> None:
    company_pair = connect(app=oauth_app, session=session, location_id=location_id, clock=clock,
                           user_type="Company")
    assert company_pair.user_type == "Company" and company_pair.location_id is None
    company = OAuthTokenSource(store=InMemoryTokenStore(company_pair), app=oauth_app,
                               location_id=location_id, session=session, clock=clock)
    source = AgencyTokenSource(company=company, app=oauth_app, location_id=location_id,
                               session=session, clock=clock)
    client = GhlClient(tokens=source, base_url=BASE, session=session, clock=clock)

    assert [p.name for p in client.pipelines_list()] == ["Surgical", "Non-Surgical"]
    clock.advance(86400)  # both tokens expired: the company one refreshes, then re-mint
    assert client.users_list()
    minted = source.store.load()
    assert minted is not None and minted.refresh_token is None


def test_a_private_integration_token_works_and_a_rejected_one_asks_for_a_new_one(
        session: requests.Session, location_id: str, clock: SimulatedClock,
        sandbox: GhlSandbox) -> None:
    token = control(session, "POST", f"/locations/{location_id}/private-token")["token"]
    assert token.startswith("pit-")
    good = GhlClient(tokens=PrivateTokenSource(token=token, location_id=location_id),
                     base_url=BASE, session=session, clock=clock)
    assert good.workflows_list()

    bad = GhlClient(tokens=PrivateTokenSource(token="pit-wrong", location_id=location_id),
                    base_url=BASE, session=session, clock=clock)
    with pytest.raises(ApiError) as caught:
        bad.workflows_list()
    assert caught.value.kind is ErrorKind.CONFIG and "paste a new one" in str(caught.value)
