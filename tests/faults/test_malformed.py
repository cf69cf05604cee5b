"""Malformed answers: a page that is not JSON is read again; a record missing parts is
dead-lettered with its reason while the rest of the week is delivered."""

from __future__ import annotations

from integrations.models import InboxItem
from tests.faults.world import (
    EVENTS,
    PATIENTS,
    assert_recovered,
    dead_letters,
    notes_doubled,
    week,
    week_run,
)
from tests.support.rig import NEXTECH_BASE, PRACTICE_GUID


def test_malformed_json_pages_and_answers_are_retried_and_the_week_arrives_once(rig, baseline):
    def garbled() -> None:
        rig.nextech_fault("malformed", 3, "/api/Appointment")
        rig.nextech_fault("malformed", 1, "/api/Patient")
        rig.ghl_fault("malformed", 4, "/contacts/")

    week_run(rig, garbled)
    rig.settle()

    assert_recovered(rig, baseline)


def test_an_appointment_missing_its_start_is_dead_lettered_and_the_rest_delivered(rig):
    week(rig)
    broken = next(row.id for row in rig.emr.appointments.values())
    response = rig.session.post(
        f"{NEXTECH_BASE}/_sandbox/practices/{PRACTICE_GUID}/appointments/{broken}/break",
        json={"drop": ["start"]}, timeout=5)
    assert response.ok, response.text
    rig.settle()

    dead = dead_letters()
    assert dead["outbox"] == []
    (reason,) = dead["inbox"]
    assert "start" in reason
    assert InboxItem.objects.get(state=InboxItem.State.DEAD).external_id == broken
    view = rig.crm_view()
    assert len(view) == PATIENTS
    # The bookings and payments (no status changes were made) but the broken one, once.
    assert sum(len(contact["notes"]) for contact in view.values()) == EVENTS - 4 - 1
    assert notes_doubled(view) == []
    assert rig.status() == ("active", "")
