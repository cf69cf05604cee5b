"""Onboarding fixtures: both sandboxes mounted in-process, with clients signed in the way
the product signs in (Nextech's token endpoint, a GoHighLevel private integration token)."""

from __future__ import annotations

import pytest
import requests

from integrations.clock import SimulatedClock
from integrations.ghl.auth import PrivateTokenSource
from integrations.ghl.client import GhlClient
from integrations.ghl.sandbox import GhlSandbox, location_create
from integrations.ghl.sandbox import make_app as ghl_make_app
from integrations.ghl.sandbox.signing import SigningKeys
from integrations.nextech import NextechClient, SelectCredentials
from integrations.nextech.sandbox import PracticeConfig, PracticeState
from integrations.nextech.sandbox import make_app as nextech_make_app
from integrations.nextech.sandbox.seed import catalog_seed
from integrations.sandbox_kit.transport import WSGIAdapter

NEXTECH_BASE = "http://nextech.sandbox"
GHL_BASE = "http://ghl.sandbox"
PRACTICE_ID = "2441c8d4-1b7e-4f0a-9a7e-5f1d7c3e9b01"


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock()


@pytest.fixture
def session() -> requests.Session:
    return requests.Session()


@pytest.fixture
def nextech_practice(clock: SimulatedClock, session: requests.Session) -> PracticeState:
    """A Select practice seeded with the demo catalog (8 types, 19 purposes, 2 locations)."""
    app = nextech_make_app(clock=clock)
    session.mount(NEXTECH_BASE, WSGIAdapter(app))
    practice = app.state.practice_register(PracticeConfig(
        practice_id=PRACTICE_ID, flavor="select", client_id="c0ffee00-0000-4000-8000-00000000c1d0",
        username="6f1e2d3c-0000-4000-8000-000000000abc@nextech-api.com",
        password="Sandbox-Password-1!", resource="https://select.nextech-api.com/api"))
    catalog_seed(practice)
    return practice


@pytest.fixture
def nextech(nextech_practice: PracticeState, session: requests.Session,
            clock: SimulatedClock) -> NextechClient:
    config = nextech_practice.config
    return NextechClient(
        base_url=f"{NEXTECH_BASE}/api", token_url=f"{NEXTECH_BASE}/nextech-api.com/oauth2/token",
        practice_id=config.practice_id, flavor="select", session=session, clock=clock,
        credentials=SelectCredentials(client_id=config.client_id, username=config.username,
                                      password=config.password),
        server_version=config.server_version)


@pytest.fixture(scope="session")
def signing_keys() -> SigningKeys:
    return SigningKeys.generate()  # RSA generation is slow: once per session


@pytest.fixture
def ghl_sandbox(clock: SimulatedClock, session: requests.Session,
                signing_keys: SigningKeys) -> GhlSandbox:
    app = ghl_make_app(clock=clock, keys=signing_keys)
    session.mount(GHL_BASE, WSGIAdapter(app))
    return app


@pytest.fixture
def ghl_location_id(ghl_sandbox: GhlSandbox) -> str:
    """A new sub-account with the spec's two pipelines, as Aesthetix sets one up."""
    return location_create(state=ghl_sandbox.state, name="Alpha Plastic Surgery").id


@pytest.fixture
def ghl(ghl_sandbox: GhlSandbox, ghl_location_id: str, session: requests.Session,
        clock: SimulatedClock) -> GhlClient:
    token = ghl_sandbox.state.token_issue(kind="pit", user_type="Location",
                                          location_id=ghl_location_id, ttl_seconds=None)
    return GhlClient(tokens=PrivateTokenSource(token=token, location_id=ghl_location_id),
                     base_url=GHL_BASE, session=session, clock=clock)
