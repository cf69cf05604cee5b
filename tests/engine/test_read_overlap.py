"""The read step re-reads 5 minutes behind its cursor (the README's figure): a change
Nextech stamped before the cursor moved but made visible only afterwards is still
picked up, and what the overlap reads again is not noted twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from integrations.clock import SimulatedClock
from integrations.engine.read import OVERLAP, ReadResult, _store
from integrations.engine.records import record_decode
from integrations.engine.tick import practice_tick
from integrations.models import Cursor, InboxItem
from integrations.nextech.resources import Appointment, Ref
from tests.support.rig import EngineRig


def tick(rig, practice):
    return practice_tick(practice=practice, nextech=rig.nextech, ghl=rig.ghl, clock=rig.clock)


def test_a_change_stamped_inside_the_overlap_after_the_cursor_moved_is_noted_once(
        rig, in_practice):
    assert timedelta(minutes=5) == OVERLAP
    visit = rig.book(rig.patient_add(), type_id="5", days_ahead=0)
    rig.later(1)
    tick(rig, in_practice)
    moved_to = Cursor.objects.get(resource="Appointment").position
    assert moved_to == rig.clock.now()

    # Checked in and seen; Nextech stamped the change 4 minutes before the cursor's
    # position but committed it only now, after that scan had gone by.
    rig.later(1)
    rig.set_status(visit, "fulfilled")
    rig.emr.appointments[visit].last_updated = moved_to - timedelta(minutes=4)
    picked_up = tick(rig, in_practice)
    rig.later(1)
    read_again = tick(rig, in_practice)  # its window still covers that stamp

    assert picked_up["changes_stored"] == 1
    assert read_again["changes_stored"] == 0 and read_again["duplicates_skipped"] >= 1
    notes = rig.contact("dana.reyes@example.com")["notes"]
    # The booking and the visit ("Out": checked out, seen), each once.
    assert sorted(n["body"].splitlines()[0] for n in notes) == [
        "Nextech appointment: Confirmed", "Nextech appointment: Out"]


def test_on_a_server_before_14_3_a_version_is_its_content(in_practice, signing_keys):
    """No lastUpdated before 14.3: what was read is told apart by a digest of it, so a
    re-read of the day stores nothing and a change stores one new version."""
    rig = EngineRig(clock=SimulatedClock(), keys=signing_keys, server_version="14.2")
    rig.crm_setup()
    visit = rig.book(rig.patient_add(), type_id="5", days_ahead=0)
    rig.later(1)
    first = tick(rig, in_practice)
    rig.later(1)
    again = tick(rig, in_practice)
    rig.set_status(visit, "fulfilled")
    rig.later(1)
    changed = tick(rig, in_practice)

    assert first["changes_stored"] >= 1
    assert again["changes_stored"] == 0 and again["duplicates_skipped"] >= 1
    assert changed["changes_stored"] == 1
    versions = InboxItem.objects.filter(resource="Appointment", external_id=visit)
    assert versions.count() == 2 and all(v.startswith("sha:") for v in
                                         versions.values_list("version", flat=True))


def _visit(visit_id: str, *, last_updated: datetime | None) -> Appointment:
    return Appointment(
        id=visit_id, status="booked", practice_status=None,
        start=datetime(2026, 3, 12, 14, 0, tzinfo=UTC), end=None,
        patient=Ref("patient", "p-1"), location=None, practitioner=None,
        appointment_type=Ref("appointment-type", "5"), purposes=(), description=None,
        created=None, last_updated=last_updated,
    )


def test_a_version_read_again_is_stored_once_even_without_last_updated(in_practice):
    stamped = _visit("a-1", last_updated=datetime(2026, 3, 1, tzinfo=UTC))
    # Servers before 14.3 stamp nothing: the version is a digest of what was read.
    unstamped = _visit("a-2", last_updated=None)
    first, again = ReadResult(), ReadResult()
    _store("Appointment", [stamped, unstamped], [], first)
    _store("Appointment", [stamped, unstamped], [], again)

    assert (first.stored, again.stored, again.duplicates) == (2, 0, 2)
    items = {item.external_id: item for item in InboxItem.objects.all()}
    assert items["a-2"].version.startswith("sha:")
    assert record_decode(Appointment, items["a-1"].payload) == stamped
    assert record_decode(Appointment, items["a-2"].payload) == unstamped

