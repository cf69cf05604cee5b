"""Nextech fixtures: the sandbox on simulated time, reached in-process or over real HTTP,
and clients signed in through its token endpoint. No database."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from requests.adapters import HTTPAdapter

from integrations.clock import SimulatedClock
from integrations.nextech import NextechClient, PartnerCredentials, SelectCredentials
from integrations.nextech.resources import Flavor
from integrations.nextech.sandbox import (
    NextechSandbox,
    PracticeConfig,
    PracticeState,
    actions,
    make_app,
)
from integrations.nextech.sandbox.control import stats_build
from integrations.nextech.sandbox.seed import catalog_seed
from integrations.sandbox_kit.transport import BackgroundServer, WSGIAdapter

FIXTURES = Path(__file__).parent / "fixtures"
IN_PROCESS_BASE = "http://nextech.sandbox"
SELECT_PRACTICE = "2441c8d4-1b7e-4f0a-9a7e-5f1d7c3e9b01"
PP_PRACTICE = "49cc8b62-3d2a-4c61-8f0e-0b6a2c4d8e02"
PASSWORD = "Sandbox-Password-1!"
PARTNER_SECRET = "sandbox-partner-secret-2"


def fixture_load(name: str) -> Any:
    """A vendor sample, keeping repeated keys the docs print twice (merged, not overwritten)."""
    def merge(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for key, value in pairs:
            if isinstance(found.get(key), list) and isinstance(value, list):
                found[key] = found[key] + value
            else:
                found[key] = value
        return found

    return json.loads((FIXTURES / name).read_text(), object_pairs_hook=merge)


class RecordingHTTPAdapter(HTTPAdapter):
    """The real HTTP transport, noting the timeout of every request."""

    def __init__(self) -> None:
        super().__init__()
        self.timeouts_seen: list[Any] = []

    def send(self, request: requests.PreparedRequest, *args: Any,
             **kwargs: Any) -> requests.Response:
        self.timeouts_seen.append(kwargs.get("timeout"))
        return super().send(request, *args, **kwargs)


@dataclass
class Rig:
    """One sandbox, one way of reaching it, and what the tests need to look inside."""

    app: NextechSandbox
    clock: SimulatedClock
    base: str
    session: requests.Session
    adapter: WSGIAdapter | RecordingHTTPAdapter
    practices: dict[str, PracticeState] = field(default_factory=dict)

    def practice(self, flavor: Flavor = "select", *, server_version: str = "17.0") -> PracticeState:
        practice_id = SELECT_PRACTICE if flavor == "select" else PP_PRACTICE
        config = PracticeConfig(
            practice_id=practice_id, flavor=flavor, server_version=server_version,
            client_id="c0ffee00-0000-4000-8000-00000000c1d0",
            username="6f1e2d3c-0000-4000-8000-000000000abc@nextech-api.com",
            password=PASSWORD if flavor == "select" else "",
            partner_id="partner-0042" if flavor == "practiceplus" else "",
            partner_secret=PARTNER_SECRET if flavor == "practiceplus" else "",
            resource="https://select.nextech-api.com/api" if flavor == "select"
            else "https://api.pm.nextech.com/api")
        practice = self.app.state.practice_register(config)
        catalog_seed(practice)  # two locations, four practitioners, types and purposes
        self.practices[flavor] = practice
        return practice

    def client(self, flavor: Flavor = "select", **overrides: Any) -> NextechClient:
        config = self.practices[flavor].config
        credentials = (SelectCredentials(client_id=config.client_id, username=config.username,
                                         password=config.password)
                       if flavor == "select" else
                       PartnerCredentials(partner_id=config.partner_id,
                                          partner_secret=config.partner_secret))
        options: dict[str, Any] = {
            "base_url": f"{self.base}/api",
            "token_url": f"{self.base}/nextech-api.com/oauth2/token",
            "practice_id": config.practice_id, "flavor": flavor, "credentials": credentials,
            "session": self.session, "clock": self.clock,
            "server_version": config.server_version, **overrides}
        return NextechClient(**options)

    def stats(self) -> dict[str, Any]:
        return stats_build(self.app.state)["endpoints"]

    def control(self, method: str, path: str, body: Any = None) -> Any:
        response = self.session.request(method, f"{self.base}/_sandbox{path}", json=body,
                                        timeout=5)
        assert response.status_code < 300, response.text
        return response.json()


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock()


def _in_process(clock: SimulatedClock) -> Rig:
    app = make_app(clock=clock)
    session = requests.Session()
    adapter = WSGIAdapter(app)
    session.mount(IN_PROCESS_BASE, adapter)
    return Rig(app=app, clock=clock, base=IN_PROCESS_BASE, session=session, adapter=adapter)


@pytest.fixture
def rig(clock: SimulatedClock) -> Rig:
    return _in_process(clock)


@pytest.fixture(params=["in_process", "http"])
def any_rig(request: pytest.FixtureRequest, clock: SimulatedClock) -> Iterator[Rig]:
    """The same sandbox code mounted in-process and served over HTTP on 127.0.0.1."""
    if request.param == "in_process":
        yield _in_process(clock)
        return
    app = make_app(clock=clock)
    with BackgroundServer(app) as server:
        session = requests.Session()
        adapter = RecordingHTTPAdapter()
        session.mount("http://", adapter)
        yield Rig(app=app, clock=clock, base=server.url, session=session, adapter=adapter)
        session.close()


SINCE = datetime(2026, 1, 1, tzinfo=UTC)


def appointments_add(practice: PracticeState, count: int) -> str:
    """`count` booked appointments for one patient, all changed after SINCE; the first id."""
    patient = actions.patient_add(practice, given="Ada", family="Quill", email="ada@example.com",
                                  phones={"mobile": "4045550100"}, postal_code="30305")
    first = datetime(2026, 1, 6, 13, tzinfo=UTC)
    for n in range(count):
        actions.appointment_book(practice, patient_id=patient.id, location_id="1",
                                 practitioner_id="101", type_id="5", purpose_ids=["51"],
                                 start=first + timedelta(minutes=30 * n), status="booked")
    return next(iter(practice.appointments))
