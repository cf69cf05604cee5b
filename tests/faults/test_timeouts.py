"""Answers slower than the client waits: the call is given up, the change still lands once.

In-process the sandboxes raise the `ReadTimeout` a socket would; the GoHighLevel sandbox
applies the write first, as a slow server does after its caller has stopped listening.
"""

from __future__ import annotations

from integrations.http import DEFAULT_TIMEOUT
from tests.faults.world import EVENTS, PATIENTS, WEEK, dead_letters, notes_doubled, week_run

BEYOND_READ_TIMEOUT = DEFAULT_TIMEOUT[1] + 15


def test_nextech_timeouts_are_retried_and_the_week_arrives_once(rig, baseline):
    def storm() -> None:
        # Every read endpoint times out a few times in a row, the appointment search most.
        rig.nextech_fault("timeout", 3, "/api/Appointment", BEYOND_READ_TIMEOUT)
        rig.nextech_fault("timeout", 2, "/api/Patient", BEYOND_READ_TIMEOUT)
        rig.nextech_fault("timeout", 2, "/api/PaymentReconciliation", BEYOND_READ_TIMEOUT)

    started = rig.clock.monotonic()
    week_run(rig, storm)
    summaries = rig.settle()

    assert rig.faults_left() == []
    assert rig.crm_view() == baseline
    assert summaries[0]["errors"] == 0  # retried inside the tick: the first poll succeeds
    assert rig.status() == ("active", "")
    assert dead_letters() == {"outbox": [], "inbox": []}
    # Seven timeouts of 45 s each, plus backoff, passed in simulated time.
    assert rig.clock.monotonic() - started >= 7 * BEYOND_READ_TIMEOUT


def _notes_time_out(rig) -> int:
    """The next note of every patient whose visit changes is stored, its answer lost."""
    changed = {given for given, visits, _ in WEEK if any(v[3] for v in visits)}
    patients = {row.id for row in rig.emr.patients.values() if row.given in changed}
    for contact_id, contact in rig.ghl_app.state.locations[rig.location.id].contacts.items():
        if set(contact.custom_fields.values()) & patients:
            rig.ghl_fault("timeout", 1, f"/contacts/{contact_id}/notes", BEYOND_READ_TIMEOUT)
    return len(patients)


def test_a_note_whose_answer_timed_out_is_not_written_twice(rig, baseline):
    # The status changes' notes: GoHighLevel stores each, the answers never arrive.
    week_run(rig, lambda: _notes_time_out(rig))
    rig.settle()

    assert rig.faults_left() == []
    view = rig.crm_view()
    assert notes_doubled(view) == []
    assert sum(len(contact["notes"]) for contact in view.values()) == EVENTS
    assert len(view) == PATIENTS
    assert view == baseline
    assert rig.status() == ("active", "")
    assert dead_letters() == {"outbox": [], "inbox": []}


def test_contacts_and_opportunities_survive_a_lost_answer(rig, baseline):
    # First poll: a contact created and an opportunity created, their answers lost.
    rig.ghl_fault("timeout", 2, "/contacts/upsert", BEYOND_READ_TIMEOUT)
    rig.ghl_fault("timeout", 2, "/opportunities/", BEYOND_READ_TIMEOUT)
    week_run(rig)
    rig.settle()

    assert rig.faults_left() == []
    view = rig.crm_view()
    assert len(view) == PATIENTS  # no second contact for a patient
    assert [len(c["opportunities"]) for c in view.values()] == \
        [len(c["opportunities"]) for c in baseline.values()]
    assert view == baseline
