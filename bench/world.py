"""Both sandboxes in-process on one clock, and a practice wired to them as onboarding
leaves it: the engine talks to them through the real clients (requests -> WSGI)."""

from __future__ import annotations

from dataclasses import dataclass, field

import requests
from django_tenants.utils import schema_context

from bench.latency import LatentAdapter
from integrations.category_review import suggestions_confirm_all
from integrations.clock import Clock, SimulatedClock
from integrations.engine.tick import practice_tick
from integrations.ghl.auth import PrivateTokenSource
from integrations.ghl.client import GhlClient
from integrations.ghl.sandbox import location_create
from integrations.ghl.sandbox import make_app as ghl_make_app
from integrations.ghl.sandbox.signing import SigningKeys
from integrations.nextech.auth import SelectCredentials
from integrations.nextech.client import NextechClient
from integrations.nextech.sandbox.app import make_app as nextech_make_app
from integrations.nextech.sandbox.seed import catalog_seed
from integrations.nextech.sandbox.state import PracticeConfig, PracticeState
from integrations.onboarding.setup import practice_crm_setup
from tenants.models import Practice

NEXTECH_BASE = "http://nextech.sandbox"
GHL_BASE = "http://ghl.sandbox"
PRACTICE_GUID = "be0c0000-0000-4000-8000-00000000be0c"
CLIENT_ID, USERNAME, PASSWORD = "bench-client", "bench@nextech-api.com", "bench-password"


def practice_config(guid: str = PRACTICE_GUID, *, username: str = USERNAME) -> PracticeConfig:
    return PracticeConfig(
        practice_id=guid, flavor="select", server_version="17.0", client_id=CLIENT_ID,
        username=username, password=PASSWORD, partner_id="", partner_secret="",
        resource="https://select.nextech-api.com/api")


@dataclass
class World:
    """One practice's Nextech and CRM location, `latency` seconds per API call on `clock`."""

    practice: Practice
    clock: SimulatedClock = field(default_factory=SimulatedClock)
    latency: float = 0.0
    keys: SigningKeys = field(default_factory=SigningKeys.generate)

    def __post_init__(self) -> None:
        self.nextech_app = nextech_make_app(clock=self.clock)
        self.ghl_app = ghl_make_app(clock=self.clock, keys=self.keys, search_delay_seconds=0)
        self.session = requests.Session()
        self.nextech_adapter = LatentAdapter(self.nextech_app, clock=self.clock,
                                             seconds=self.latency)
        self.ghl_adapter = LatentAdapter(self.ghl_app, clock=self.clock, seconds=self.latency)
        self.session.mount(NEXTECH_BASE, self.nextech_adapter)
        self.session.mount(GHL_BASE, self.ghl_adapter)
        self.emr: PracticeState = self.nextech_app.state.practice_register(practice_config())
        catalog_seed(self.emr)
        self.location = location_create(state=self.ghl_app.state, name=self.practice.name)
        self.ghl_token = self.ghl_app.state.token_issue(
            kind="pit", user_type="Location", location_id=self.location.id, ttl_seconds=None)
        self.nextech = self.nextech_client()
        self.ghl = self.ghl_client()

    def nextech_client(self, clock: Clock | None = None) -> NextechClient:
        return NextechClient(
            base_url=f"{NEXTECH_BASE}/api",
            token_url=f"{NEXTECH_BASE}/nextech-api.com/oauth2/token",
            practice_id=PRACTICE_GUID, flavor="select", session=self.session,
            clock=clock or self.clock,
            credentials=SelectCredentials(client_id=CLIENT_ID, username=USERNAME,
                                          password=PASSWORD))

    def ghl_client(self) -> GhlClient:
        return GhlClient(tokens=PrivateTokenSource(token=self.ghl_token,
                                                   location_id=self.location.id),
                         base_url=GHL_BASE, session=self.session, clock=self.clock)

    def crm_setup(self) -> None:
        """Catalog, locations, stage mapping and custom fields, as onboarding does them;
        the calls it makes are not counted against the sync."""
        summary = practice_crm_setup(practice=self.practice, nextech=self.nextech, ghl=self.ghl)
        if not summary.ok:
            raise RuntimeError(f"benchmark practice set-up failed: {summary.failures}")
        with schema_context(self.practice.schema_name):
            suggestions_confirm_all(by="bench")  # as the practice's client would
        self.nextech.tokens.access_token()  # signed in once, as a running practice is
        self.nextech.calls = self.ghl.calls = 0

    def tick(self) -> dict[str, object]:
        """One tick of the practice, in its schema, with counters started at zero."""
        self.nextech.calls = self.ghl.calls = 0
        with schema_context(self.practice.schema_name):
            return practice_tick(practice=self.practice, nextech=self.nextech, ghl=self.ghl,
                                 clock=self.clock)

    def crm_counts(self) -> dict[str, int]:
        location = self.ghl_app.state.locations[self.location.id]
        return {"contacts": len(location.contacts), "notes": len(location.notes),
                "opportunities": len(location.opportunities)}
