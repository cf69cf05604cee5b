"""Both sandboxes over real HTTP with 100 ms per call, and practices wired to them through
stored credentials, so a worker runs exactly what the qcluster runs (`practice_poll`)."""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import requests
from django_tenants.utils import schema_context

from bench.latency import LatentApp
from bench.practices import bench_practice_create, bench_practices_drop
from bench.workload import bench_patient_add, visit_book
from bench.world import CLIENT_ID, PASSWORD, practice_config
from integrations.category_review import suggestions_confirm_all
from integrations.clock import SYSTEM_CLOCK, Clock
from integrations.ghl.sandbox import location_create
from integrations.ghl.sandbox import make_app as ghl_make_app
from integrations.ghl.sandbox.signing import SigningKeys
from integrations.nextech.sandbox.app import make_app as nextech_make_app
from integrations.nextech.sandbox.seed import LOCAL, catalog_seed
from integrations.onboarding.setup import practice_crm_setup
from integrations.sandbox_kit.transport import BackgroundServer, WSGIApp
from integrations.tasks import practice_poll
from tenants.ghl.client import ghl_client_for
from tenants.models import GhlCredential, NextechCredential, Practice
from tenants.nextech_link import nextech_client_for

PATIENTS_PER_PRACTICE = 5


class StaffFree(LatentApp):
    """Latency for the API, none for `/_sandbox/` (staff's changes, not the worker's calls)."""

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO", "").startswith("/_sandbox/"):
            return self.app(environ, start_response)
        return super().__call__(environ, start_response)


@dataclass(frozen=True)
class ServedPractice:
    schema: str
    guid: str
    patients: tuple[str, ...]


@dataclass
class Served:
    """The two HTTP sandboxes; `latency` starts at zero so set-up is quick."""

    clock: Clock = SYSTEM_CLOCK
    keys: SigningKeys = field(default_factory=SigningKeys.generate)
    practices: list[Practice] = field(default_factory=list)
    wired: list[ServedPractice] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.nextech_app = nextech_make_app(clock=self.clock)
        self.ghl_app = ghl_make_app(clock=self.clock, keys=self.keys, search_delay_seconds=0)
        self._latent = [StaffFree(app, clock=self.clock, seconds=0.0)
                        for app in (self.nextech_app, self.ghl_app)]
        self._staff = requests.Session()
        self.nextech_server = self._serve(self._latent[0])
        self.ghl_server = self._serve(self._latent[1])

    @staticmethod
    def _serve(app: WSGIApp) -> BackgroundServer:
        return BackgroundServer(app).start()

    def latency_set(self, seconds: float) -> None:
        for app in self._latent:
            app.seconds = seconds

    def practice_add(self, *, label: str) -> ServedPractice:
        """A throwaway practice with a few booked patients, synced once (token stored)."""
        practice = bench_practice_create(label=label)
        self.practices.append(practice)
        guid = str(uuid.uuid4())
        # Each Select practice signs in as its own API user, as in production: Nextech
        # counts its 20 calls a second per endpoint per user, so one user shared by every
        # served practice would cap them all together at 20 polls a second.
        username = f"bench-{guid[:8]}@nextech-api.com"
        emr = self.nextech_app.state.practice_register(practice_config(guid, username=username))
        catalog_seed(emr)
        patients = tuple(bench_patient_add(emr, n=n) for n in range(PATIENTS_PER_PRACTICE))
        today = emr.clock.now().astimezone(LOCAL).date()
        rng = random.Random(label)  # noqa: S311 - benchmark data, not secrets
        for patient in patients:
            visit_book(emr, rng, patient_id=patient, day=today)
        location = location_create(state=self.ghl_app.state, name=practice.name)
        token = self.ghl_app.state.token_issue(kind="pit", user_type="Location",
                                               location_id=location.id, ttl_seconds=None)
        base = self.nextech_server.url
        NextechCredential.objects.create(
            practice=practice, base_url=f"{base}/api",
            token_url=f"{base}/nextech-api.com/oauth2/token", practice_guid=uuid.UUID(guid),
            client_id=CLIENT_ID, username=username, password=PASSWORD)
        GhlCredential.objects.create(
            practice=practice, auth_kind=GhlCredential.AuthKind.PRIVATE,
            location_id=location.id, private_token=token, api_base_url=self.ghl_server.url)
        summary = practice_crm_setup(practice=practice,
                                     nextech=nextech_client_for(practice=practice),
                                     ghl=ghl_client_for(practice=practice))
        if not summary.ok:
            raise RuntimeError(f"benchmark practice set-up failed: {summary.failures}")
        with schema_context(practice.schema_name):
            suggestions_confirm_all(by="bench")  # as the practice's client would
        synced = practice_poll(practice.schema_name)
        if synced.get("errors"):
            raise RuntimeError(f"benchmark practice first sync failed: {synced}")
        wired = ServedPractice(schema=practice.schema_name, guid=guid, patients=patients)
        self.wired.append(wired)
        return wired

    def staff_book(self, practice: ServedPractice, rng: random.Random) -> None:
        """Staff book a visit for one of the practice's patients, through the sandbox's
        control API (no latency: it is not one of the worker's calls)."""
        day = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 86_400 * rng.randint(1, 20)))
        response = self._staff.post(
            f"{self.nextech_server.url}/_sandbox/practices/{practice.guid}/appointments",
            timeout=10, json={
                "patient_id": rng.choice(practice.patients), "location_id": "2",
                "practitioner_id": "103", "type_id": "5", "purpose_ids": ["51"],
                "start": f"{day}T15:00:00+00:00", "status": "booked"})
        response.raise_for_status()

    def ghl_writes(self) -> int:
        return sum(v for k, v in self.ghl_app.state.counters.items()
                   if not k.startswith("GET"))

    def stop(self) -> None:
        self.nextech_server.stop()
        self.ghl_server.stop()
        bench_practices_drop(self.practices)


@contextmanager
def served_practices(*, count: int) -> Iterator[Served]:
    served = Served()
    try:
        for n in range(count):
            served.practice_add(label=f"worker{n}")
        with schema_context("public"):
            yield served
    finally:
        served.stop()
