"""NXT-Create against both sandboxes: what the front desk sees on the contact afterwards."""

from __future__ import annotations

from datetime import timedelta

import pytest

from integrations.engine.tick import practice_tick
from integrations.http import ErrorKind
from integrations.models import KnownPatient, NxtCreateRequest, SyncLog
from integrations.nextech.errors import PatientAlreadyExists
from integrations.nxt_create import service
from integrations.nxt_create.service import Outcome
from integrations.sandbox_kit.faults import Fault
from tests.nxt_create.conftest import FRONT_DESK

State = NxtCreateRequest.State


def _notes(contact):
    return [n["body"] for n in contact["notes"]]


def test_a_tagged_contact_becomes_a_patient_and_the_contact_says_so(rig, in_practice):
    contact_id = rig.contact_add()
    rig.tag(contact_id)

    assert rig.process(in_practice, contact_id) is Outcome.CREATED

    (patient,) = rig.emr_patients()
    assert (patient.given, patient.email, patient.birth_date.isoformat(), patient.postal_code) == (
        "Maya", "maya.lopez@example.com", "1990-06-15", "30301")
    assert patient.phones == {"mobile": "(404) 555-0177"}
    contact = rig.by_id(contact_id)
    assert contact["customFields"]["nxt_patient_id"] == patient.id
    assert "NXT-Create" not in contact["tags"] and "NXT-Created" in contact["tags"]
    (note,) = _notes(contact)
    assert f"created this patient in Nextech (NXT Patient ID {patient.id})" in note
    linked = KnownPatient.objects.get(nextech_id=patient.id)
    assert (linked.contact_id, linked.phone, linked.email) == (
        contact_id, "+14045550177", "maya.lopez@example.com")
    request = NxtCreateRequest.objects.get(contact_id=contact_id)
    assert (request.state, request.nextech_id, request.attempts) == (State.CREATED, patient.id, 1)
    assert request.tagged_at == request.created_at == rig.clock.now()


@pytest.mark.parametrize(("field", "message"), [
    ("firstName", "First name is missing"),
    ("lastName", "Last name is missing"),
    ("email", "Email is missing"),
    ("phone", "Phone is missing"),
    ("dateOfBirth", "Date of birth is missing"),
    ("postalCode", "Postal code is missing"),
])
def test_a_missing_field_fails_with_a_note_naming_it(rig, in_practice, field, message):
    # GoHighLevel needs an email or a phone to hold a contact at all.
    contact_id = rig.contact_add(**{field: None})
    rig.tag(contact_id)

    assert rig.process(in_practice, contact_id) is Outcome.FAILED

    assert rig.emr_patients() == []
    contact = rig.by_id(contact_id)
    assert "NXT-Create" not in contact["tags"] and "NXT-Create-Error" in contact["tags"]
    (note,) = _notes(contact)
    assert f"- {message}\n" in note and "add the NXT-Create tag again" in note
    assert NxtCreateRequest.objects.get(contact_id=contact_id).problems == message


def test_format_errors_are_all_in_one_note(rig, in_practice):
    contact_id = rig.contact_add(phone="555-0100", email="maya.example.com",
                                 dateOfBirth="2031-02-03")
    rig.tag(contact_id)

    rig.process(in_practice, contact_id)

    (note,) = _notes(rig.by_id(contact_id))
    assert "- Email maya.example.com is not a valid email address" in note
    assert "- Phone 555-0100 is not a valid US number" in note
    assert "- Date of birth 02/03/2031 is in the future" in note
    assert rig.emr_patients() == []
    # Whom the failure is about, for the portal's failures page.
    assert NxtCreateRequest.objects.get(contact_id=contact_id).contact_name == "Maya Lopez"


def test_a_patient_nextech_already_has_is_linked_not_duplicated(rig, in_practice):
    existing = rig.emr_patient_add()
    contact_id = rig.contact_add()
    rig.tag(contact_id)

    assert rig.process(in_practice, contact_id) is Outcome.LINKED

    assert [p.id for p in rig.emr_patients()] == [existing]
    contact = rig.by_id(contact_id)
    assert contact["customFields"]["nxt_patient_id"] == existing
    assert "NXT-Created" in contact["tags"]
    (note,) = _notes(contact)
    assert "linked the contact to the existing patient" in note
    assert KnownPatient.objects.get(nextech_id=existing).contact_id == contact_id


def test_an_ambiguous_duplicate_fails_and_says_how_many_match(rig, in_practice):
    rig.emr_patient_add()
    rig.emr_patient_add()  # Nextech let a twin in earlier (entered by hand)
    contact_id = rig.contact_add()
    rig.tag(contact_id)

    assert rig.process(in_practice, contact_id) is Outcome.FAILED

    assert len(rig.emr_patients()) == 2
    contact = rig.by_id(contact_id)
    assert "NXT-Create-Error" in contact["tags"] and "nxt_patient_id" not in contact["customFields"]
    (note,) = _notes(contact)
    assert "- 2 patients in Nextech match this contact; link by hand" in note
    assert not KnownPatient.objects.filter(contact_id=contact_id).exists()


def test_a_duplicate_found_by_email_and_phone_when_the_name_differs(rig, in_practice, monkeypatch):
    existing = rig.emr_patient_add(given="Maya-Jo")
    contact_id = rig.contact_add()
    rig.tag(contact_id)

    def create_refused_as_duplicate(*, draft):  # a real Nextech may match on a nickname
        raise PatientAlreadyExists("nextech", ErrorKind.RECORD, 409, "exists")

    monkeypatch.setattr(rig.nextech, "patient_create", create_refused_as_duplicate)
    assert rig.process(in_practice, contact_id) is Outcome.LINKED
    assert NxtCreateRequest.objects.get(contact_id=contact_id).nextech_id == existing


def test_a_redelivered_webhook_creates_one_patient(rig, in_practice):
    contact_id = rig.contact_add()
    rig.tag(contact_id)

    outcomes = [rig.process(in_practice, contact_id) for _ in range(3)]

    assert outcomes == [Outcome.CREATED, Outcome.STALE, Outcome.STALE]
    assert len(rig.emr_patients()) == 1
    assert len(_notes(rig.by_id(contact_id))) == 1


def test_retagging_a_linked_contact_only_retags_and_notes(rig, in_practice):
    contact_id = rig.contact_add()
    rig.tag(contact_id)
    rig.process(in_practice, contact_id)
    (patient,) = rig.emr_patients()
    first = NxtCreateRequest.objects.get(contact_id=contact_id)
    rig.later()
    rig.tag(contact_id)

    assert rig.process(in_practice, contact_id) is Outcome.ALREADY_LINKED

    assert len(rig.emr_patients()) == 1
    again = NxtCreateRequest.objects.get(contact_id=contact_id)
    assert (again.state, again.tagged_at, again.created_at) == (
        State.CREATED, first.tagged_at, first.created_at)  # the latency stays the first one's
    contact = rig.by_id(contact_id)
    assert "NXT-Create" not in contact["tags"] and "NXT-Created" in contact["tags"]
    assert f"already linked to Nextech patient {patient.id}" in _notes(contact)[1]


def test_a_contact_the_engine_already_linked_is_not_created_again(rig, in_practice):
    patient_id = rig.patient_add(given="Ana", family="Lopez")  # booked and synced earlier
    rig.book(patient_id)
    rig.later()
    practice_tick(practice=in_practice, nextech=rig.nextech, ghl=rig.ghl, clock=rig.clock)
    contact_id = KnownPatient.objects.get(nextech_id=patient_id).contact_id
    rig.tag(contact_id)

    assert rig.process(in_practice, contact_id) is Outcome.ALREADY_LINKED
    assert len(rig.emr_patients()) == 1


def test_a_crash_after_nextech_created_the_patient_links_it_on_retry(rig, in_practice,
                                                                    monkeypatch):
    contact_id = rig.contact_add()
    rig.tag(contact_id)

    def crash(**kwargs):
        raise SystemExit("killed after Nextech answered 201")

    monkeypatch.setattr(service, "patient_link", crash)
    with pytest.raises(SystemExit):
        rig.process(in_practice, contact_id)
    monkeypatch.undo()
    assert len(rig.emr_patients()) == 1  # created, but nothing recorded here
    assert NxtCreateRequest.objects.get(contact_id=contact_id).state == State.PENDING

    assert rig.process(in_practice, contact_id) is Outcome.LINKED

    (patient,) = rig.emr_patients()
    assert rig.by_id(contact_id)["customFields"]["nxt_patient_id"] == patient.id


def test_a_crm_outage_after_creation_is_finished_by_the_next_tick(rig, in_practice):
    contact_id = rig.contact_add()
    rig.tag(contact_id)
    rig.ghl_app.state.faults.add(_fault(f"/contacts/{contact_id}/notes", remaining=10))

    assert rig.process(in_practice, contact_id) is Outcome.DEFERRED
    rig.ghl_app.state.faults.clear()
    request = NxtCreateRequest.objects.get(contact_id=contact_id)
    assert (request.state, request.crm_pending) == (State.CREATED, True)

    rig.later()
    practice_tick(practice=in_practice, nextech=rig.nextech, ghl=rig.ghl, clock=rig.clock)

    contact = rig.by_id(contact_id)
    assert "NXT-Created" in contact["tags"] and len(_notes(contact)) == 1
    assert len(rig.emr_patients()) == 1


def _fault(prefix: str, *, remaining: int) -> Fault:
    return Fault(kind="500", remaining=remaining, path_prefix=prefix)


def test_a_nextech_outage_is_retried_then_reported(rig, in_practice):
    contact_id = rig.contact_add()
    rig.tag(contact_id)
    rig.nextech_app.state.faults.add(_fault("/api/Patient", remaining=1000))
    outcomes = []
    for _ in range(service.MAX_ATTEMPTS):
        outcomes.append(rig.process(in_practice, contact_id))
    assert outcomes == [Outcome.DEFERRED] * (service.MAX_ATTEMPTS - 1) + [Outcome.FAILED]
    (note,) = _notes(rig.by_id(contact_id))
    assert "Nextech could not be reached after 5 tries" in note


def test_the_tag_removed_before_processing_cancels_the_request(rig, in_practice):
    contact_id = rig.contact_add()
    service.nxt_create_trigger(contact_id=contact_id, tagged_at=rig.clock.now())

    assert rig.process(in_practice, contact_id) is Outcome.STALE
    assert not NxtCreateRequest.objects.exists() and rig.emr_patients() == []


def test_no_phi_in_the_sync_log(rig, in_practice):
    contact_id = rig.contact_add(phone="555-0100")
    rig.tag(contact_id)
    rig.process(in_practice, contact_id)
    rig.contact_add(email="other@example.com", phone="+1 404 555 0190")

    logged = " ".join(m for m in SyncLog.objects.values_list("message", flat=True))
    assert "NXT-Create" in logged
    for value in (*FRONT_DESK.values(), "555-0100", "Lopez"):
        assert value not in logged


def test_timings_allow_tag_to_created_latency(rig, in_practice):
    contact_id = rig.contact_add()
    rig.tag(contact_id)
    tagged = rig.clock.now()
    service.nxt_create_trigger(contact_id=contact_id, tagged_at=tagged)
    rig.clock.advance(40)
    service.nxt_create_process(practice=in_practice, contact_id=contact_id,
                               clients=rig.clients())
    request = NxtCreateRequest.objects.get(contact_id=contact_id)
    assert request.created_at - request.tagged_at == timedelta(seconds=40)
