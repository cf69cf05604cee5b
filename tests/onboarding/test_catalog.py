"""Pulling a practice's appointment types, purposes and locations from the Nextech sandbox."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from integrations.models import AppointmentPurpose, AppointmentType, CategoryMapping, Location
from integrations.nextech import NextechClient
from integrations.nextech.sandbox import PracticeState
from integrations.nextech.sandbox.actions import catalog_add
from integrations.onboarding import catalog_pull, locations_pull

pytestmark = pytest.mark.usefixtures("in_practice")


def _type_categories() -> dict[str, str]:
    return {m.appointment_type.name: m.get_category_display()
            for m in CategoryMapping.objects.filter(purpose=None).select_related(
                "appointment_type")}


def test_the_demo_catalog_arrives_with_a_suggested_category_for_every_type(
        nextech: NextechClient) -> None:
    result = catalog_pull(client=nextech)

    assert (result.types.created, result.purposes.created) == (8, 21)
    assert AppointmentType.objects.filter(active=True, pulled_at__isnull=False).count() == 8
    assert AppointmentPurpose.objects.get(nextech_id="51").name == "Botox"
    assert _type_categories() == {
        "Surgical Consult": "Surgical Consult",
        "Cosmetic Surgery": "Surgical Appointment",
        "Pre-Op": "Pre-Op Appointment",
        "Post-Op": "Post-Op Appointment",
        "Injectables": "Non-Surgical Appointment",
        "Skin Treatment": "Non-Surgical Appointment",
        "Virtual Consult": "Online Appointment",
        "Block": "Block",
    }
    assert set(CategoryMapping.objects.values_list("source", flat=True)) == {"suggested"}
    # Every demo purpose agrees with its type, so no purpose-specific row is needed.
    assert not CategoryMapping.objects.filter(purpose__isnull=False).exists()
    assert result.mappings_suggested == 8 and result.unmapped_types == ()
    assert result.unparseable == ()


def test_a_purpose_that_changes_the_category_gets_its_own_row(
        nextech: NextechClient, nextech_practice: PracticeState) -> None:
    catalog_add(nextech_practice, kind="appointment_types", id="9", name="Consultation")
    catalog_add(nextech_practice, kind="purposes", id="91", name="Botox", type_id="9")
    catalog_add(nextech_practice, kind="purposes", id="92", name="Rhinoplasty", type_id="9")
    catalog_add(nextech_practice, kind="appointment_types", id="10", name="Follow Up")
    catalog_add(nextech_practice, kind="purposes", id="101", name="Botox Touch-up", type_id="10")

    result = catalog_pull(client=nextech)

    rows = {(m.appointment_type.name, m.purpose.name if m.purpose else None):
            m.get_category_display()
            for m in CategoryMapping.objects.filter(appointment_type__nextech_id__in=["9", "10"])}
    assert rows == {
        ("Consultation", None): "Surgical Consult",
        ("Consultation", "Botox"): "Non-Surgical Consult",
        ("Follow Up", "Botox Touch-up"): "Non-Surgical Appointment",
    }
    # "Follow Up" says nothing by itself: staff must choose, and the page says so.
    assert result.unmapped_types == ("Follow Up",)


def test_pulling_again_keeps_what_people_decided_and_refreshes_suggestions(
        nextech: NextechClient, nextech_practice: PracticeState) -> None:
    catalog_pull(client=nextech)
    confirmed_at = datetime(2026, 1, 5, 15, tzinfo=UTC)
    CategoryMapping.objects.filter(appointment_type__nextech_id="1").update(
        category="non_surgical_consult", source="confirmed", confirmed_by="dana",
        confirmed_at=confirmed_at)
    CategoryMapping.objects.filter(appointment_type__nextech_id="5").update(
        category="block", source="imported", confirmed_by="client")
    nextech_practice.appointment_types["1"].name = "Surgery"
    nextech_practice.appointment_types["5"].name = "Surgery"
    nextech_practice.appointment_types["6"].name = "Laser Surgery"

    result = catalog_pull(client=nextech)

    confirmed = CategoryMapping.objects.get(appointment_type__nextech_id="1")
    assert (confirmed.category, confirmed.source, confirmed.confirmed_by,
            confirmed.confirmed_at) == ("non_surgical_consult", "confirmed", "dana", confirmed_at)
    assert CategoryMapping.objects.get(appointment_type__nextech_id="5").category == "block"
    # Only the suggestion followed the new name.
    assert CategoryMapping.objects.get(appointment_type__nextech_id="6").category == (
        "surgical_appointment")
    assert AppointmentType.objects.get(nextech_id="1").name == "Surgery"
    assert (result.types.created, result.types.updated) == (0, 8)
    assert (result.mappings_suggested, result.mappings_resuggested) == (0, 1)


def test_a_type_removed_in_nextech_is_inactive_and_keeps_its_mapping(
        nextech: NextechClient, nextech_practice: PracticeState) -> None:
    catalog_pull(client=nextech)
    del nextech_practice.appointment_types["7"]
    del nextech_practice.purposes["71"]

    result = catalog_pull(client=nextech)

    assert result.types.deactivated == 1 and result.purposes.deactivated == 1
    assert not AppointmentType.objects.get(nextech_id="7").active
    assert not AppointmentPurpose.objects.get(nextech_id="71").active
    assert CategoryMapping.objects.filter(appointment_type__nextech_id="7").exists()


def test_an_unreadable_entry_is_reported_and_not_retired(
        nextech: NextechClient, nextech_practice: PracticeState) -> None:
    catalog_pull(client=nextech)
    nextech_practice.appointment_types["4"].name = ""  # Nextech sends no name

    result = catalog_pull(client=nextech)

    assert [(u.resource, u.nextech_id) for u in result.unparseable] == [
        ("appointment-type", "4")]
    assert "no name" in result.unparseable[0].problem
    assert AppointmentType.objects.get(nextech_id="4").active  # still there, just unreadable
    # Its purposes still find their type, stored by an earlier pull.
    assert result.purposes_without_type == ()


def test_locations_arrive_and_staff_settings_survive_a_second_pull(
        nextech: NextechClient, nextech_practice: PracticeState) -> None:
    first = locations_pull(client=nextech)
    assert first.counts.created == 2
    assert list(Location.objects.order_by("nextech_id")
                .values_list("nextech_id", "name", "active", "billable")) == [
        ("1", "Aurora Plastic Surgery - Buckhead", True, True),
        ("2", "Aurora MedSpa - Alpharetta", True, True),
    ]
    Location.objects.filter(nextech_id="2").update(
        billable=False, routing_tag="Med Spa", routing_user_id="user-7")
    nextech_practice.locations["2"].name = "Aurora MedSpa - Milton"
    del nextech_practice.locations["1"]

    second = locations_pull(client=nextech)

    spa = Location.objects.get(nextech_id="2")
    assert (spa.name, spa.billable, spa.routing_tag, spa.routing_user_id) == (
        "Aurora MedSpa - Milton", False, "Med Spa", "user-7")
    assert not Location.objects.get(nextech_id="1").active
    assert (second.counts.updated, second.counts.deactivated) == (1, 1)


def test_catalog_pull_records_which_type_each_purpose_belongs_to(in_practice, nextech):
    from integrations.models import AppointmentPurpose
    from integrations.onboarding.catalog import catalog_pull

    catalog_pull(client=nextech)
    botox = AppointmentPurpose.objects.get(name="Botox")
    assert botox.appointment_type is not None
    assert botox.appointment_type.name == "Injectables"
