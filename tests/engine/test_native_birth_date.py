"""The native Date of Birth: written by the contact upsert from Nextech's birth date once a
visit is fulfilled (with NXT Birthday), valid against the v2 spec, no workflow needed."""

from __future__ import annotations

import json

import pytest

from integrations.clock import SimulatedClock
from integrations.engine.tick import practice_tick
from integrations.models import AutomationRule
from tests.ghl.conftest import RecordingAdapter
from tests.ghl.contract import exchange_validate
from tests.support.rig import GHL_BASE, EngineRig


@pytest.fixture(params=["select", "practiceplus"])
def rig(request, in_practice, signing_keys) -> EngineRig:
    in_practice.emr_flavor = request.param
    rig = EngineRig(clock=SimulatedClock(), keys=signing_keys, flavor=request.param)
    rig.crm_setup()
    return rig


def _tick(rig: EngineRig, practice) -> None:
    rig.later()
    summary = practice_tick(practice=practice, nextech=rig.nextech, ghl=rig.ghl, clock=rig.clock)
    assert summary["errors"] == 0 and summary["dead_letters"] == 0, summary


def test_a_fulfilled_visit_gives_the_contact_its_native_birth_date(rig, in_practice):
    assert not AutomationRule.objects.exists()  # no birthday-copy workflow configured
    recorder = RecordingAdapter(rig.ghl_app)
    rig.session.mount(GHL_BASE, recorder)
    patient = rig.patient_add()
    visit = rig.book(patient, type_id="5", days_ahead=0)
    _tick(rig, in_practice)
    assert "dateOfBirth" not in rig.contact("dana.reyes@example.com")  # booked: not yet
    rig.set_status(visit, "fulfilled")
    _tick(rig, in_practice)

    contact = rig.contact("dana.reyes@example.com")
    assert contact["dateOfBirth"] == "1988-04-12"
    assert contact["customFields"]["nxt_birthday"] == "1988-04-12"  # kept for workflows
    assert rig.crm()["enrolments"] == []
    writes = [(request, response) for request, response in recorder.exchanges
              if request.path_url == "/contacts/upsert"
              or (request.method == "PUT" and request.path_url.startswith("/contacts/"))]
    assert len(writes) == 2  # the booking's upsert, then the fulfilled visit's PUT by id
    assert [exchange_validate(q, r) for q, r in writes] == ["contacts", "contacts"]
    sent = [json.loads(q.body or b"{}").get("dateOfBirth") for q, _ in writes]
    assert sent == [None, "1988-04-12"]
