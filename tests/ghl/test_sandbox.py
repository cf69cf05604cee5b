"""The sandbox keeps GoHighLevel's rules, and the client works against it over real HTTP."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import requests

from integrations.clock import SimulatedClock, SystemClock
from integrations.ghl.auth import OAuthTokenSource
from integrations.ghl.client import ContactInput, GhlClient
from integrations.ghl.sandbox import GhlSandbox, location_create, make_app, seed_demo_location
from integrations.ghl.sandbox.signing import SigningKeys
from integrations.ghl.tokens import InMemoryTokenStore
from integrations.http import ApiError, ErrorKind
from integrations.sandbox_kit.transport import BackgroundServer
from tests.ghl.conftest import CLIENT_SECRET, connect, control, oauth_app_for


def test_upsert_matches_by_email_first_and_silently_drops_the_other_phone(
        client: GhlClient, session: requests.Session, location_id: str) -> None:
    by_email = client.contact_upsert(contact=ContactInput(email="ann@example.com")).contact
    by_phone = client.contact_upsert(contact=ContactInput(phone="+14155550111")).contact

    both = client.contact_upsert(contact=ContactInput(email="ANN@example.com",
                                                      phone="+14155550111", first_name="Ann"))

    assert not both.created and both.contact.id == by_email.id
    assert both.contact.phone is None  # the phone belongs to another contact: dropped, no error
    contacts = {c["id"]: c for c in control(session, "GET",
                                            f"/locations/{location_id}/state")["contacts"]}
    assert len(contacts) == 2 and contacts[by_phone.id]["phone"] == "+14155550111"


def test_upsert_follows_the_configured_priority(client: GhlClient, session: requests.Session,
                                                location_id: str) -> None:
    control(session, "PUT", f"/locations/{location_id}/settings",
            json={"duplicatePriority": ["phone", "email"]})
    client.contact_upsert(contact=ContactInput(email="bo@example.com"))
    by_phone = client.contact_upsert(contact=ContactInput(phone="+14155550112")).contact

    both = client.contact_upsert(contact=ContactInput(email="bo@example.com",
                                                      phone="+14155550112"))
    assert both.contact.id == by_phone.id and both.contact.email is None


def test_upsert_fills_a_missing_identifier_on_the_matched_contact(client: GhlClient) -> None:
    first = client.contact_upsert(contact=ContactInput(email="cy@example.com")).contact
    again = client.contact_upsert(contact=ContactInput(email="cy@example.com",
                                                       phone="4155550113")).contact
    assert again.id == first.id and again.phone == "+14155550113"


def test_search_is_eventually_consistent(client: GhlClient, clock: SimulatedClock) -> None:
    created = client.contact_upsert(contact=ContactInput(email="late@example.com")).contact
    assert [c.id for c in client.contacts_search(query="late")] == []
    clock.advance(5)
    assert [c.id for c in client.contacts_search(query="late")] == [created.id]


def test_an_injected_503_is_retried_and_a_persistent_one_is_a_retry_error(
        client: GhlClient, session: requests.Session, sandbox: GhlSandbox) -> None:
    control(session, "POST", "/faults", json={"kind": "503", "remaining": 2,
                                              "pathPrefix": "/users"})
    assert client.users_list()
    control(session, "POST", "/faults", json={"kind": "500", "remaining": 10})
    with pytest.raises(ApiError) as caught:
        client.users_list()
    assert caught.value.kind is ErrorKind.RETRY
    assert sandbox.state.counters["GET /users/"] == 3 + client.max_attempts


def test_a_new_location_has_the_aesthetix_pipelines_and_workflows(
        session: requests.Session) -> None:
    state = control(session, "POST", "/locations", json={"name": "Bravo Med Spa"})
    assert {p["name"]: [s["name"] for s in p["stages"]] for p in state["pipelines"]} == {
        "Surgical": ["Consult Booked", "Consult Complete", "Surgery Scheduled",
                     "Surgery Complete", "Cancelled / No-Show"],
        "Non-Surgical": ["Booked", "Patient", "Cancelled / No-Show"]}
    assert "NXT Appointments Update" in {w["name"] for w in state["workflows"]}
    assert state["users"]


def test_demo_seed_is_idempotent(sandbox: GhlSandbox) -> None:
    first = seed_demo_location(state=sandbox.state)
    again = seed_demo_location(state=sandbox.state)
    assert first is again and len(first.contacts) == 2


@pytest.fixture
def served(signing_keys: SigningKeys) -> Iterator[tuple[GhlSandbox, str]]:
    app = make_app(clock=SystemClock(), client_id="sandbox-app-client",
                   client_secret=CLIENT_SECRET, keys=signing_keys)
    with BackgroundServer(app) as server:
        yield app, server.url


def test_the_client_works_over_real_http(served: tuple[GhlSandbox, str],
                                         caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    app, url = served
    location = location_create(state=app.state, name="Over HTTP")
    oauth = oauth_app_for(url)
    session = requests.Session()
    clock = SystemClock()
    pair = connect(app=oauth, session=session, location_id=location.id, clock=clock)
    store = InMemoryTokenStore(pair)
    client = GhlClient(tokens=OAuthTokenSource(store=store, app=oauth, location_id=location.id,
                                               session=session, clock=clock),
                       base_url=url, session=session, clock=clock)
    app.state.access_tokens_revoke(location_id=location.id)

    result = client.contact_upsert(contact=ContactInput(email="http@example.com"))

    assert result.created and store.saves == 1
    new = store.load()
    assert new is not None
    assert not [s for s in (pair.access_token, pair.refresh_token, new.access_token,
                            new.refresh_token, CLIENT_SECRET) if s and s in caplog.text]
