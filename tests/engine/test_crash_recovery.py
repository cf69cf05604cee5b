"""A tick killed at any step, then run again, loses nothing and doubles nothing.

Each scenario runs real `manage.py sync_now` processes against both sandboxes served over
HTTP; the first is killed at a named crash point (os._exit, as the OS would), the second
finishes. The CRM must then equal what one uninterrupted tick produces.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django_tenants.utils import schema_context

from integrations.engine.crashpoints import CRASH_EXIT_CODE
from integrations.ghl.sandbox import make_app as ghl_make_app
from integrations.models import InboxItem, OutboxOp
from integrations.nextech.sandbox import actions
from integrations.nextech.sandbox.app import make_app as nextech_make_app
from integrations.nextech.sandbox.seed import LOCAL, catalog_seed
from integrations.nextech.sandbox.state import PracticeConfig
from integrations.sandbox_kit.transport import BackgroundServer
from tenants.models import GhlCredential, Practice
from tenants.services import practice_create
from tests.support.served import crm_view, practice_served_connect, sync_now

GUID = "c4a5b000-0000-4000-8000-0000000c4a5b"


@pytest.fixture(scope="module")
def served(signing_keys):
    """Both sandboxes over HTTP; a small practice week in Nextech."""
    nextech, ghl = nextech_make_app(), ghl_make_app(keys=signing_keys, search_delay_seconds=0)
    emr = nextech.state.practice_register(PracticeConfig(
        practice_id=GUID, flavor="select", server_version="17.0", client_id="crash-client",
        username="crash@nextech-api.com", password="crash-pass", partner_id="",
        partner_secret="", resource="https://select.nextech-api.com/api"))
    catalog_seed(emr)
    today = nextech.state.clock.now().astimezone(LOCAL).date()
    plan = [("1", 3, "booked"), ("2", 10, "booked"), ("5", -1, "fulfilled"), ("1", -2, "noshow"),
            ("6", 2, "booked"), ("4", 5, "booked")]
    for n in range(6):
        patient = actions.patient_add(
            emr, given=f"Crash{n}", family="Tester", email=f"crash{n}@example.com",
            phones={"mobile": f"(404) 555-02{n:02d}"}, birth_date=datetime(1980 + n, 1, 2).date(),
            patient_status="Prospect").id
        for type_id, days, status in plan[n:n + 2]:
            actions.appointment_book(
                emr, patient_id=patient, location_id="1", practitioner_id="101",
                type_id=type_id, purpose_ids=[],
                start=datetime.combine(today + timedelta(days=days), time(9), LOCAL), status=status)
        if n % 2 == 0:
            actions.payment_add(emr, patient_id=patient, total=Decimal("125.50"),
                                location_id="2", practitioner_id="103")
    servers = [BackgroundServer(nextech).start(), BackgroundServer(ghl).start()]
    yield {"nextech": servers[0].url, "ghl": servers[1].url, "ghl_app": ghl}
    for server in servers:
        server.stop()


def _practice(served: dict[str, Any], slug: str) -> Practice:
    Practice.objects.filter(slug=slug).delete()
    practice = practice_create(practice=Practice(
        name=f"Crash {slug}", slug=slug, status=Practice.Status.ACTIVE, payments_enabled=True))
    practice_served_connect(practice=practice, nextech_url=served["nextech"],
                            ghl=served["ghl_app"], ghl_url=served["ghl"], practice_guid=GUID,
                            login="crash")
    return practice


def _crm(served: dict[str, Any], practice: Practice) -> dict[str, Any]:
    location_id = GhlCredential.objects.get(practice=practice).location_id
    return crm_view(served["ghl_app"], location_id)


@pytest.fixture(scope="module")
def baseline(served, practices, django_db_blocker):
    with django_db_blocker.unblock():
        practice = _practice(served, "crashbase")
        try:
            run = sync_now("crashbase")
            assert run.returncode == 0, run.stderr[-2000:]
            yield _crm(served, practice)
        finally:
            practice.delete(force_drop=True)


@pytest.mark.parametrize("crash_at", [
    "read.page_stored:1",
    "process.patient_committed:3",
    "drain.op_attempted:4",
    "drain.op_sent:1",
    "drain.op_sent:3",
    "drain.op_sent:7",
])
def test_a_tick_killed_mid_way_then_rerun_equals_an_uninterrupted_one(
        crash_at, served, baseline, practices, django_db_blocker):
    with django_db_blocker.unblock():
        practice = _practice(served, "crashrun")
        try:
            crashed = sync_now("crashrun", crash_at)
            assert crashed.returncode == CRASH_EXIT_CODE, crashed.stderr[-2000:]
            rerun = sync_now("crashrun")
            assert rerun.returncode == 0, rerun.stderr[-2000:]

            assert _crm(served, practice) == baseline
            with schema_context(practice.schema_name):
                assert not InboxItem.objects.exclude(state=InboxItem.State.DONE).exists()
                assert not OutboxOp.objects.exclude(state=OutboxOp.State.DONE).exists()
        finally:
            practice.delete(force_drop=True)


def test_the_baseline_is_a_real_week(baseline):
    assert len(baseline) == 6
    assert all(len(contact["notes"]) >= 1 for contact in baseline.values())
    paid = [c for c in baseline.values() if c["fields"].get("patient_lifetime_value")]
    assert {c["fields"]["patient_lifetime_value"] for c in paid} == {"125.50"}
