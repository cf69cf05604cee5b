"""What one appointment change costs the database: a worker runs thousands of ticks, and
each statement is CPU the ORM spends building it. The counts here are the floor the
engine keeps; a change that needs more says so here."""

from __future__ import annotations

from integrations.engine.facts_load import rules_load
from integrations.engine.outbox import outbox_drain
from integrations.engine.process import Context, inbox_process
from integrations.engine.read import changes_read, cursors_read
from integrations.engine.tick import practice_tick
from integrations.models import EngineSettings


def _booked_for_a_known_patient(rig, practice):
    patient = rig.patient_add()
    rig.book(patient, type_id="5")
    rig.later()
    practice_tick(practice=practice, nextech=rig.nextech, ghl=rig.ghl, clock=rig.clock)
    rig.book(patient, type_id="5", days_ahead=14)
    rig.later()


def _context(rig, practice) -> Context:
    settings = EngineSettings.current()
    return Context(rules_source=lambda: rules_load(practice, settings=settings),
                   time_zone=practice.time_zone, region="US", today=rig.clock.now().date(),
                   now=rig.clock.now(), tick_id=None)


def _read(rig) -> None:
    changes_read(client=rig.nextech, clock=rig.clock, payments=False,
                 since_default=rig.clock.now(), cursors=cursors_read())


def test_deciding_a_booking_of_a_known_patient_takes_eleven_statements(
        rig, in_practice, django_assert_max_num_queries):
    _booked_for_a_known_patient(rig, in_practice)
    _read(rig)  # the tick's read step stores the change; deciding it is measured alone
    ctx = _context(rig, in_practice)

    # The new rows; the types they name; the rules; the patient, their appointments and
    # the new one; the snapshot (read, written); the activity row; the operations; the
    # rows marked done. Two more in a test: the patient's transaction is a savepoint.
    with django_assert_max_num_queries(11 + 2):
        result = inbox_process(ctx=ctx, patient_fetch=lambda _: None)
    assert (result.events, result.patients, result.operations) == (1, 1, 2)


def test_sending_a_booking_just_decided_takes_five_statements(
        rig, in_practice, django_assert_max_num_queries):
    _booked_for_a_known_patient(rig, in_practice)
    _read(rig)
    decided = inbox_process(ctx=_context(rig, in_practice), patient_fetch=lambda _: None)
    calls = rig.ghl.calls

    # The due operations; the CRM field ids; three marks for two operations (each marked
    # attempted before its call, done with the next mark). The patient's row is the one
    # deciding read.
    with django_assert_max_num_queries(5):
        drained = outbox_drain(client=rig.ghl, clock=rig.clock, patients=decided.patient_rows)
    assert (drained.sent, drained.dead, rig.ghl.calls - calls) == (2, 0, 2)
    assert len(rig.contact("dana.reyes@example.com")["notes"]) == 2
