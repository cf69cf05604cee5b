"""NXT Appointment Time and NXT Next Visit Time: the visit's time on the practice's clock,
through both sandboxes, for both Nextech flavors, on either side of a DST change."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from integrations.clock import SimulatedClock
from integrations.engine.tick import practice_tick
from tests.support.rig import EngineRig

NEW_YORK = ZoneInfo("America/New_York")  # the practice's zone (the default)
# (the clock's start, a Saturday before the change, the Monday after it)
# 2026: summer time ends on 1 November (-04:00 -> -05:00), starts on 8 March (-05:00 -> -04:00).
SEASONS = {
    "november": (datetime(2026, 10, 26, 14, tzinfo=UTC),
                 datetime(2026, 10, 31, 9, 0, tzinfo=NEW_YORK),
                 datetime(2026, 11, 2, 14, 30, tzinfo=NEW_YORK)),
    "march": (datetime(2026, 3, 2, 15, tzinfo=UTC),
              datetime(2026, 3, 7, 9, 0, tzinfo=NEW_YORK),
              datetime(2026, 3, 9, 14, 30, tzinfo=NEW_YORK)),
}


@pytest.fixture(params=["select", "practiceplus"])
def flavor(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(params=sorted(SEASONS))
def season(request: pytest.FixtureRequest) -> tuple[datetime, datetime, datetime]:
    return SEASONS[str(request.param)]


@pytest.fixture
def rig(in_practice, signing_keys, flavor, season) -> EngineRig:
    in_practice.emr_flavor = flavor
    rig = EngineRig(clock=SimulatedClock(season[0]), keys=signing_keys, flavor=flavor)  # type: ignore[arg-type]
    rig.crm_setup()
    return rig


def _fields_after_tick(rig: EngineRig, practice) -> dict[str, str]:
    rig.later()
    summary = practice_tick(practice=practice, nextech=rig.nextech, ghl=rig.ghl, clock=rig.clock)
    assert summary["errors"] == 0 and summary["dead_letters"] == 0, summary
    return rig.contact("dana.reyes@example.com")["customFields"]


def test_nxt_appointment_time_is_the_latest_visits_local_time_across_dst(
        rig, in_practice, season):
    _, before, after = season
    patient = rig.patient_add()
    rig.book(patient, type_id="5", start=before)
    fields = _fields_after_tick(rig, in_practice)
    assert (fields["nxt_appointment_date"], fields["nxt_appointment_time"]) == (
        before.date().isoformat(), "9:00 AM")

    rig.book(patient, type_id="5", start=after)  # booked since: it fills the NXT fields
    fields = _fields_after_tick(rig, in_practice)
    assert (fields["nxt_appointment_date"], fields["nxt_appointment_time"]) == (
        after.date().isoformat(), "2:30 PM")


def test_nxt_next_visit_time_follows_the_next_visit_across_dst(rig, in_practice, season):
    _, before, after = season
    patient = rig.patient_add()
    later_visit = rig.book(patient, type_id="5", start=after)
    sooner_visit = rig.book(patient, type_id="5", start=before)
    fields = _fields_after_tick(rig, in_practice)
    assert (fields["next_visit_date"], fields["nxt_next_visit_time"]) == (
        before.date().isoformat(), "9:00 AM")

    rig.set_status(sooner_visit, "cancelled")
    fields = _fields_after_tick(rig, in_practice)
    assert (fields["next_visit_date"], fields["nxt_next_visit_time"]) == (
        after.date().isoformat(), "2:30 PM")

    rig.set_status(later_visit, "cancelled")
    fields = _fields_after_tick(rig, in_practice)
    assert (fields["next_visit_date"], fields["nxt_next_visit_time"]) == ("", "")
