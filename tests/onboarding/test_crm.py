"""Reading a GoHighLevel location: stage mapping by name, custom fields, and the whole
set-up in one call against both sandboxes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection

from integrations.categories import Stage
from integrations.ghl.auth import PrivateTokenSource
from integrations.ghl.client import GhlClient
from integrations.ghl.fields import ALL_FIELDS
from integrations.ghl.sandbox import GhlSandbox
from integrations.models import AppointmentType, CategoryMapping, CrmField, Location, StageMapping
from integrations.nextech import NextechClient
from integrations.onboarding import (
    crm_fields_setup,
    practice_crm_setup,
    stage_mapping_suggest,
    summary_as_dict,
)
from tenants.models import Practice
from tests.onboarding.conftest import GHL_BASE


def _mapped() -> dict[str, tuple[str, str]]:
    return {m.canonical_stage: (m.ghl_pipeline_name, m.ghl_stage_name)
            for m in StageMapping.objects.all()}


@pytest.mark.usefixtures("in_practice")
def test_every_canonical_stage_finds_its_stage_in_a_standard_location(ghl: GhlClient) -> None:
    suggestions = stage_mapping_suggest(client=ghl)

    assert all(s.matched for s in suggestions) and len(suggestions) == 8
    assert _mapped() == {
        Stage.CONSULT_BOOKED: ("Surgical", "Consult Booked"),
        Stage.CONSULT_COMPLETE: ("Surgical", "Consult Complete"),
        Stage.SURGERY_SCHEDULED: ("Surgical", "Surgery Scheduled"),
        Stage.SURGERY_COMPLETE: ("Surgical", "Surgery Complete"),
        Stage.SURGICAL_CANCELLED: ("Surgical", "Cancelled / No-Show"),
        Stage.BOOKED: ("Non-Surgical", "Booked"),
        Stage.PATIENT: ("Non-Surgical", "Patient"),
        Stage.NON_SURGICAL_CANCELLED: ("Non-Surgical", "Cancelled / No-Show"),
    }
    assert not StageMapping.objects.filter(confirmed_at__isnull=False).exists()
    # The two "Cancelled / No-Show" stages are different stages of different pipelines.
    cancelled = StageMapping.objects.filter(ghl_stage_name="Cancelled / No-Show")
    assert len({m.ghl_stage_id for m in cancelled}) == 2


@pytest.mark.usefixtures("in_practice")
def test_names_match_whatever_the_case_and_punctuation_and_a_missing_stage_is_reported(
        ghl: GhlClient, ghl_sandbox: GhlSandbox, ghl_location_id: str) -> None:
    surgical, non_surgical = ghl_sandbox.state.locations[ghl_location_id].pipelines
    surgical["name"] = "SURGICAL pipeline"
    surgical["stages"][4]["name"] = "canceled - no show"
    non_surgical["name"] = "non surgical"
    non_surgical["stages"] = [s for s in non_surgical["stages"] if s["name"] != "Patient"]

    suggestions = stage_mapping_suggest(client=ghl)

    assert [s.stage for s in suggestions if not s.matched] == [Stage.PATIENT]
    assert _mapped()[Stage.SURGICAL_CANCELLED] == ("SURGICAL pipeline", "canceled - no show")
    assert _mapped()[Stage.BOOKED] == ("non surgical", "Booked")
    assert Stage.PATIENT not in _mapped()


@pytest.mark.usefixtures("in_practice")
def test_a_confirmed_stage_mapping_is_kept_and_a_stale_suggestion_is_dropped(
        ghl: GhlClient, ghl_sandbox: GhlSandbox, ghl_location_id: str) -> None:
    stage_mapping_suggest(client=ghl)
    StageMapping.objects.filter(canonical_stage=Stage.CONSULT_BOOKED).update(
        ghl_stage_id="chosen-by-staff", ghl_stage_name="Consult Scheduled", confirmed_by="dana",
        confirmed_at=datetime(2026, 1, 5, tzinfo=UTC))
    surgical = ghl_sandbox.state.locations[ghl_location_id].pipelines[0]
    surgical["stages"] = [s for s in surgical["stages"] if s["name"] != "Surgery Complete"]

    suggestions = stage_mapping_suggest(client=ghl)

    kept = next(s for s in suggestions if s.stage == Stage.CONSULT_BOOKED)
    assert kept.kept_confirmed and kept.ghl_stage_id == "chosen-by-staff"
    assert StageMapping.objects.get(canonical_stage=Stage.CONSULT_BOOKED).confirmed_by == "dana"
    assert not StageMapping.objects.filter(canonical_stage=Stage.SURGERY_COMPLETE).exists()


@pytest.mark.usefixtures("in_practice")
def test_custom_fields_are_created_once_and_their_ids_stored(
        ghl: GhlClient, ghl_sandbox: GhlSandbox, ghl_location_id: str) -> None:
    stored = crm_fields_setup(client=ghl)

    in_crm = {f.name: f.id for f in ghl.custom_fields_list()}
    assert len(stored) == len(ALL_FIELDS) == len(in_crm)
    patient_id = CrmField.objects.get(key="nxt_patient_id")
    assert patient_id.name == "NXT Patient ID"
    assert patient_id.ghl_field_id == in_crm["NXT Patient ID"]
    assert patient_id.ghl_field_key.startswith("contact.")

    crm_fields_setup(client=ghl)  # again: no twin fields in the CRM, no twin rows here
    assert len(ghl.custom_fields_list()) == len(ALL_FIELDS)
    assert CrmField.objects.count() == len(ALL_FIELDS)


def test_practice_set_up_runs_every_step_in_the_practices_schema(
        practice_a: Practice, nextech: NextechClient, ghl: GhlClient) -> None:
    summary = practice_crm_setup(practice=practice_a, nextech=nextech, ghl=ghl)

    assert summary.ok
    assert connection.schema_name == "public"  # the caller's schema is given back
    assert summary_as_dict(summary) == {
        "types": 8, "purposes": 21, "suggested_mappings": 8, "unmapped_types": [],
        "locations": 2, "stages_matched": 8, "stages_unmatched": [],
        "fields": len(ALL_FIELDS), "failures": {}}
    connection.set_tenant(practice_a)
    assert AppointmentType.objects.count() == 8 and Location.objects.count() == 2
    assert StageMapping.objects.count() == 8 and CrmField.objects.count() == len(ALL_FIELDS)


def test_a_rejected_crm_token_fails_only_the_crm_steps_and_says_why(
        practice_a: Practice, nextech: NextechClient, ghl_sandbox: GhlSandbox,
        ghl_location_id: str, ghl: GhlClient) -> None:
    bad = GhlClient(tokens=PrivateTokenSource(token="pit-wrong", location_id=ghl_location_id),
                    base_url=GHL_BASE, session=ghl.session, clock=ghl.clock)

    summary = practice_crm_setup(practice=practice_a, nextech=nextech, ghl=bad)

    assert not summary.ok
    assert sorted(summary.failures) == ["fields", "stages"]
    assert "paste a new one" in summary.failures["stages"]
    assert summary.catalog is not None and summary.locations is not None
    connection.set_tenant(practice_a)
    assert CategoryMapping.objects.count() == 8 and not StageMapping.objects.exists()
