"""The fault suite's world: both sandboxes in-process on a simulated clock, wired to a
practice through its stored credentials, as `practice_tick` builds its own clients.

`week` books a small, varied practice week; `crm_view` reads the CRM back (fields, notes,
opportunities, tags and workflow enrolments) in a form two runs can be compared in;
`settle` polls like the schedule until nothing is left to do.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, time, timedelta
from typing import Any

from django.db import transaction

from integrations.clock import SimulatedClock
from integrations.engine.events import NOTE_MARK
from integrations.engine.tick import practice_tick
from integrations.ghl.sandbox import make_app as ghl_make_app
from integrations.ghl.sandbox.signing import SigningKeys
from integrations.models import AutomationRule, EngineSettings, InboxItem, OutboxOp, SyncState
from integrations.nextech.sandbox import actions
from integrations.nextech.sandbox.app import make_app as nextech_make_app
from integrations.nextech.sandbox.seed import LOCAL, catalog_seed
from integrations.nextech.sandbox.state import PracticeConfig
from integrations.sandbox_kit.faults import Fault
from integrations.sandbox_kit.transport import BackgroundServer
from tenants.ghl.client import ghl_client_for
from tenants.models import GhlCredential, NextechCredential, Practice
from tenants.nextech_link import nextech_client_for
from tenants.services import practice_create
from tests.support.rig import GHL_BASE, NEXTECH_BASE, PRACTICE_GUID, EngineRig
from tests.support.served import crm_view as served_crm_view
from tests.support.served import practice_served_connect

TICK_MINUTES = 5
# The Nextech practice the `served` fixture registers, and its user's login.
SERVED_GUID = "fa017000-0000-4000-8000-0000000fa017"
SERVED_LOGIN = "served"


class FaultRig(EngineRig):
    """An `EngineRig` whose ticks use the practice's stored credentials."""

    practice: Practice

    def connect(self, practice: Practice) -> None:
        """Store the practice's credentials, as onboarding leaves them."""
        self.practice = practice
        practice.payments_enabled = True  # lifetime value is part of what must add up
        practice.save(update_fields=["payments_enabled"])
        NextechCredential.objects.update_or_create(practice=practice, defaults={
            "base_url": f"{NEXTECH_BASE}/api",
            "token_url": f"{NEXTECH_BASE}/nextech-api.com/oauth2/token",
            "practice_guid": uuid.UUID(PRACTICE_GUID), "client_id": "rig-client",
            "username": "rig@nextech-api.com", "password": "rig-password"})
        GhlCredential.objects.update_or_create(practice=practice, defaults={
            "auth_kind": GhlCredential.AuthKind.PRIVATE, "location_id": self.location.id,
            "private_token": self.ghl_token, "api_base_url": GHL_BASE})

    def tick(self) -> dict[str, Any]:
        """One scheduled poll: fresh clients from the stored credentials, then the tick."""
        self.nextech = nextech_client_for(practice=self.practice, session=self.session,
                                          clock=self.clock)
        self.ghl = ghl_client_for(practice=self.practice, session=self.session,
                                  clock=self.clock)
        return practice_tick(practice=self.practice, nextech=self.nextech, ghl=self.ghl,
                             clock=self.clock)

    def ticks(self, count: int) -> list[dict[str, Any]]:
        """`count` polls, `TICK_MINUTES` apart (the clock moves before each)."""
        summaries = []
        for _ in range(count):
            self.later(TICK_MINUTES)
            summaries.append(self.tick())
        return summaries

    def settle(self, *, max_ticks: int = 30) -> list[dict[str, Any]]:
        """Poll until a tick succeeds with nothing left to send; the summaries, in order."""
        summaries = []
        for _ in range(max_ticks):
            self.later(TICK_MINUTES)
            summary = self.tick()
            summaries.append(summary)
            pending = OutboxOp.objects.filter(state=OutboxOp.State.PENDING).exists()
            unread = InboxItem.objects.filter(state=InboxItem.State.NEW).exists()
            if not summary["errors"] and not pending and not unread:
                return summaries
        raise AssertionError(f"not settled after {max_ticks} ticks: {summaries[-3:]}")

    # Faults --------------------------------------------------------------------------
    def nextech_fault(self, kind: str, remaining: int, path: str = "",
                      delay_seconds: float = 0.0) -> None:
        response = self.session.post(f"{NEXTECH_BASE}/_sandbox/faults", json={
            "kind": kind, "remaining": remaining, "path_prefix": path,
            "delay_seconds": delay_seconds}, timeout=5)
        assert response.status_code == 201, response.text

    def ghl_fault(self, kind: str, remaining: int, path: str = "",
                  delay_seconds: float = 0.0) -> None:
        response = self.session.post(f"{GHL_BASE}/_sandbox/faults", json={
            "kind": kind, "remaining": remaining, "pathPrefix": path,
            "delaySeconds": delay_seconds}, timeout=5)
        assert response.status_code == 201, response.text

    def faults_clear(self) -> None:
        for base in (NEXTECH_BASE, GHL_BASE):
            assert self.session.delete(f"{base}/_sandbox/faults", timeout=5).ok

    def faults_left(self) -> list[Fault]:
        return [*self.nextech_app.state.faults.faults, *self.ghl_app.state.faults.faults]

    def requests_seen(self) -> dict[str, int]:
        return {"nextech": self.nextech_adapter.requests_seen,
                "ghl": self.ghl_adapter.requests_seen}

    # What staff see --------------------------------------------------------------------
    def status(self) -> tuple[str, str]:
        practice = Practice.objects.get(pk=self.practice.pk)
        return practice.status, practice.status_reason

    def last_error(self) -> str:
        return SyncState.current().last_error

    def crm_view(self) -> dict[str, Any]:
        return crm_view(self)


def crm_view(rig: EngineRig) -> dict[str, Any]:
    """The rig's CRM location by NXT Patient ID (see tests.support.served.crm_view)."""
    return served_crm_view(rig.ghl_app, rig.location.id)


def notes_doubled(view: dict[str, Any]) -> list[str]:
    """Reference lines that appear on more than one note: an event delivered twice."""
    refs = Counter(line for contact in view.values() for body in contact["notes"]
                   for line in body.splitlines() if line.startswith(f"({NOTE_MARK} "))
    return [ref for ref, count in refs.items() if count > 1]


def assert_recovered(rig: FaultRig, baseline: dict[str, Any], *,
                     dead_outbox: list[str] | None = None) -> dict[str, Any]:
    """What every fault scenario must end with: no fault left unconsumed, the CRM equal to
    the fault-free run with no event written twice, the practice active, nothing dead
    (but the outbox dead letters `dead_outbox` names, by reason).
    Returns the CRM view for the scenario's own checks."""
    assert rig.faults_left() == []
    view = rig.crm_view()
    assert notes_doubled(view) == []
    assert view == baseline
    assert rig.status() == ("active", "")
    assert dead_letters() == {"outbox": dead_outbox or [], "inbox": []}
    return view


def dead_letters() -> dict[str, list[str]]:
    return {
        "outbox": list(OutboxOp.objects.filter(state=OutboxOp.State.DEAD)
                       .values_list("last_error", flat=True)),
        "inbox": list(InboxItem.objects.filter(state=InboxItem.State.DEAD)
                      .values_list("error", flat=True)),
    }


# A small practice week ------------------------------------------------------------------
# (patient, [(appointment type, days ahead, status, later status or None)], payment or None)
WEEK: list[tuple[str, list[tuple[str, int, str, str | None]], str | None]] = [
    ("Ava", [("1", 3, "booked", None), ("2", 20, "booked", None)], None),
    ("Ben", [("5", -1, "booked", "fulfilled")], "125.50"),
    ("Cleo", [("1", -2, "booked", "noshow"), ("6", 2, "booked", None)], None),
    ("Dev", [("6", 4, "booked", "cancelled")], "80.00"),
    ("Eli", [("2", 12, "booked", None), ("4", 19, "booked", None)], "2500.00"),
    ("Fay", [("5", 1, "pending", "booked")], None),
]
PATIENTS = len(WEEK)
# One note per booking, per later status change and per payment.
EVENTS = sum(len(visits) + sum(1 for v in visits if v[3]) + bool(paid) for _, visits, paid in WEEK)


def automations_set_up(workflows: dict[str, str]) -> None:
    """The practice's automations (in the current schema), so a week enrols contacts in
    workflows and tags them: `workflows` maps the CRM's workflow names to their ids."""
    for trigger, name in (("booked", "NXT Appointments Update"),
                          ("payment", "NXT Payments Update"), ("birthday", "NXT Birthday")):
        AutomationRule.objects.update_or_create(trigger=trigger, defaults={
            "workflow_id": workflows[name], "workflow_name": name})
    EngineSettings.objects.update_or_create(pk=1, defaults={
        "review_workflow_id": workflows["Google Review Request"],
        "service_tag_template": "NXT Service: {service}"})


def week(rig: FaultRig) -> dict[str, str]:
    """Book the week in Nextech (changes spread over an hour), with the practice's
    automations on; patient ids by first name."""
    automations_set_up({w.name: w.id for w in rig.ghl.workflows_list()})
    emr, ids = rig.emr, {}
    today = rig.clock.now().astimezone(LOCAL).date()
    for n, (given, visits, paid) in enumerate(WEEK):
        patient = actions.patient_add(
            emr, given=given, family="Faults", email=f"{given.lower()}.faults@example.com",
            phones={"mobile": f"(404) 555-03{n:02d}"}, birth_date=datetime(1980 + n, 3, 4).date(),
            patient_status="Prospect").id
        ids[given] = patient
        for type_id, days, status, _ in visits:
            actions.appointment_book(
                emr, patient_id=patient, location_id="1", practitioner_id="101",
                type_id=type_id, purpose_ids=[], status=status,
                start=datetime.combine(today + timedelta(days=days), time(9), LOCAL))
        if paid:
            rig.pay(patient, paid)
        rig.clock.advance(60)
    return ids


def week_changes(rig: FaultRig) -> None:
    """The later half of the week: statuses change after the first poll saw the bookings."""
    booked: dict[str | None, list[str]] = {}
    for row in sorted(rig.emr.appointments.values(), key=lambda r: r.seq):
        booked.setdefault(row.patient_id, []).append(row.id)
    for n, (_, visits, _) in enumerate(WEEK):
        patient = sorted(rig.emr.patients.values(), key=lambda r: r.seq)[n].id
        for appointment_id, (_, _, _, later) in zip(booked[patient], visits, strict=True):
            if later:
                rig.set_status(appointment_id, later)
        rig.clock.advance(60)


def week_run(rig: FaultRig, between: Callable[[], None] | None = None) -> None:
    """The week as the schedule sees it: bookings, a poll, the changes, `between`, polls."""
    week(rig)
    rig.ticks(1)
    week_changes(rig)
    if between:
        between()


def baseline_view(make_rig: Callable[[], FaultRig], practice: Practice) -> dict[str, Any]:
    """What the CRM shows after the week with no fault at all (rolled back afterwards)."""
    with transaction.atomic():
        rig = make_rig()
        rig.connect(practice)
        week_run(rig)
        rig.settle()
        view = rig.crm_view()
        transaction.set_rollback(True)
    practice.refresh_from_db()
    return view


def rig_make(keys: SigningKeys) -> FaultRig:
    rig = FaultRig(clock=SimulatedClock(), keys=keys)
    rig.crm_setup()
    return rig


@contextmanager
def sandboxes_served(keys: SigningKeys) -> Iterator[dict[str, Any]]:
    """Both sandboxes served over real HTTP while the block runs: one Nextech practice
    (`served_practice` connects practices to it) and the CRM sandbox."""
    nextech, ghl = nextech_make_app(), ghl_make_app(keys=keys, search_delay_seconds=0)
    emr = nextech.state.practice_register(PracticeConfig(
        practice_id=SERVED_GUID, flavor="select", server_version="17.0",
        client_id=f"{SERVED_LOGIN}-client", username=f"{SERVED_LOGIN}@nextech-api.com",
        password=f"{SERVED_LOGIN}-pass", resource="https://select.nextech-api.com/api"))
    catalog_seed(emr)
    servers = [BackgroundServer(nextech).start(), BackgroundServer(ghl).start()]
    try:
        yield {"nextech": servers[0].url, "ghl": servers[1].url, "ghl_app": ghl, "emr": emr}
    finally:
        for server in servers:
            server.stop()


def served_practice(served: dict[str, Any], *, slug: str, name: str,
                    payments: bool = False) -> tuple[Practice, str]:
    """An active practice, committed (replacing one left by an earlier run), connected to
    the `served` sandboxes with a CRM location of its own; returns it and the location id."""
    Practice.objects.filter(slug=slug).delete()
    practice = practice_create(practice=Practice(
        name=name, slug=slug, status=Practice.Status.ACTIVE, payments_enabled=payments))
    location_id = practice_served_connect(
        practice=practice, nextech_url=served["nextech"], ghl=served["ghl_app"],
        ghl_url=served["ghl"], practice_guid=SERVED_GUID, login=SERVED_LOGIN)
    return practice, location_id
