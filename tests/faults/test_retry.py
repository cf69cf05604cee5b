"""Staff retry a dead write: it keeps what it knew. A note that reached the CRM before it
died is looked for, not written again; a contact write that died before newer ones went
out writes the patient's current fields, not its own stale ones."""

from __future__ import annotations

from integrations.engine.outbox import MAX_ATTEMPTS
from integrations.engine.replay import outbox_retry
from integrations.models import OutboxOp
from tests.faults.world import FaultRig, notes_doubled

EMAIL = "dana.reyes@example.com"
CALLS_PER_ATTEMPT = 5  # the client's own tries at a 5xx before the attempt fails


def _ticks_until_dead(rig: FaultRig, kind: str) -> OutboxOp:
    for _ in range(20):
        rig.ticks(1)
        dead = OutboxOp.objects.filter(kind=kind, state=OutboxOp.State.DEAD).first()
        if dead is not None:
            return dead
    raise AssertionError(f"no {kind} was dead-lettered")


def test_a_dead_note_retried_after_it_reached_the_crm_is_written_once(rig: FaultRig) -> None:
    visit = rig.book(rig.patient_add(), type_id="5", days_ahead=0)
    rig.ticks(1)
    notes = f"/contacts/{rig.contact(EMAIL)['id']}/notes"
    rig.set_status(visit, "fulfilled")
    # The visit's note is stored but its answer lost; every look for it afterwards fails.
    rig.ghl_fault("timeout", 1, notes, delay_seconds=60)
    rig.ghl_fault("500", (MAX_ATTEMPTS - 1) * CALLS_PER_ATTEMPT, notes)
    dead = _ticks_until_dead(rig, "note_add")
    assert rig.faults_left() == []
    assert len(rig.contact(EMAIL)["notes"]) == 2  # it did reach the CRM

    assert outbox_retry(op_ids=[dead.pk]) == 1
    rig.ticks(1)

    dead.refresh_from_db()
    assert (dead.state, dead.result.get("recovered")) == (OutboxOp.State.DONE, True)
    assert len(rig.contact(EMAIL)["notes"]) == 2
    assert notes_doubled(rig.crm_view()) == []


def test_a_stale_dead_contact_write_retried_after_newer_ones_leaves_the_newer_fields(
        rig: FaultRig) -> None:
    patient = rig.patient_add()
    rig.book(patient, type_id="5")
    rig.ticks(1)
    contact_id = rig.contact(EMAIL)["id"]
    row = rig.emr.patients[patient]
    row.family = "Reyes-Okoro"  # married; this write dies
    rig.emr.touch(row)
    rig.ghl_fault("500", MAX_ATTEMPTS * CALLS_PER_ATTEMPT, f"/contacts/{contact_id}")
    stale = _ticks_until_dead(rig, "contact_upsert")
    assert stale.payload["core"]["lastName"] == "Reyes-Okoro"
    assert rig.faults_left() == []
    row.family, row.email = "Okoro", "dana.okoro@example.com"  # then changed again: sent
    rig.emr.touch(row)
    rig.ticks(1)
    assert rig.contact("dana.okoro@example.com")["lastName"] == "Okoro"

    assert outbox_retry(op_ids=[stale.pk]) == 1
    rig.ticks(1)

    stale.refresh_from_db()
    assert stale.state == OutboxOp.State.DONE
    contact = rig.contact("dana.okoro@example.com")
    assert (contact["id"], contact["lastName"]) == (contact_id, "Okoro")
