"""Multi-location practices: the contact's location field picks the Nextech location."""

from __future__ import annotations

import pytest

from integrations.ghl.fields import FieldDefinition, custom_fields_ensure
from integrations.models import EngineSettings, Location, NxtCreateRequest


@pytest.fixture
def location_field(rig, in_practice) -> str:
    """Two Nextech locations mapped to the values of the CRM's "Patient Location" field."""
    (created,) = custom_fields_ensure(client=rig.ghl, definitions=[FieldDefinition(
        key="patient_location", name="Patient Location", data_type="TEXT",
        nextech_folder=False)]).values()
    Location.objects.create(nextech_id="1", name="Main Office", crm_location_value="Downtown")
    Location.objects.create(nextech_id="2", name="North Clinic", crm_location_value="North")
    EngineSettings.objects.update_or_create(
        pk=1, defaults={"nxt_create_location_field": "Patient Location"})
    return created.id


def test_the_patient_is_created_at_the_mapped_location(rig, in_practice, location_field):
    contact_id = rig.contact_add(customFields=[{"id": location_field, "field_value": "North"}])
    rig.tag(contact_id)

    assert rig.process(in_practice, contact_id).value == "created"

    (patient,) = rig.emr_patients()
    assert patient.location_id == "2"


def test_an_unmapped_location_fails_naming_the_value(rig, in_practice, location_field):
    contact_id = rig.contact_add(customFields=[{"id": location_field, "field_value": "Uptown"}])
    rig.tag(contact_id)

    assert rig.process(in_practice, contact_id).value == "failed"

    assert rig.emr_patients() == []
    (note,) = [n["body"] for n in rig.by_id(contact_id)["notes"]]
    assert "- Patient Location 'Uptown' does not match any Nextech location" in note
    assert "NXT-Create-Error" in rig.by_id(contact_id)["tags"]


def test_a_missing_location_fails_for_a_multi_location_practice(rig, in_practice,
                                                               location_field):
    contact_id = rig.contact_add()
    rig.tag(contact_id)

    rig.process(in_practice, contact_id)

    assert NxtCreateRequest.objects.get(contact_id=contact_id).problems == (
        "Patient Location is missing (choose where the patient should be created)")


def test_a_single_location_practice_needs_no_location(rig, in_practice, location_field):
    Location.objects.filter(nextech_id="2").update(active=False)
    contact_id = rig.contact_add()
    rig.tag(contact_id)

    assert rig.process(in_practice, contact_id).value == "created"
