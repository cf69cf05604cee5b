"""NXT-Create: each flavor's required fields are checked before anything is sent, and a
duplicate comes back as "already exists" with the existing patient findable by search."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from integrations.nextech import PatientAlreadyExists, PatientDraft, PatientValidationError
from integrations.nextech.patient_create import patient_body_build
from tests.nextech.conftest import Rig, fixture_load

TODAY = date(2026, 1, 5)
COMPLETE = PatientDraft(given="Brooke", family="Ellison", email="brooke@example.com",
                        phone="(404) 555-0199", birth_date=date(1986, 4, 12), postal_code="30305",
                        location_id="2")
PRACTICE_PLUS = replace(COMPLETE, general_practitioner_id="101", referral_source_id="3",
                        patient_status="Active")


def test_an_empty_contact_lists_every_missing_field_for_nextech_cloud(rig: Rig) -> None:
    rig.practice("select")
    client = rig.client("select")
    with pytest.raises(PatientValidationError) as caught:
        client.patient_create(draft=PatientDraft())
    assert caught.value.problems == {
        "First name": "missing", "Last name": "missing", "Email": "missing", "Phone": "missing",
        "Date of birth": "missing", "Postal code": "missing"}
    assert client.calls == 0  # nothing was sent, not even a sign-in


def test_practice_plus_also_requires_practitioner_referral_source_and_status() -> None:
    with pytest.raises(PatientValidationError) as caught:
        patient_body_build(draft=COMPLETE, flavor="practiceplus", today=TODAY)
    assert caught.value.problems == {
        "General practitioner": "missing (Practice+ requires one)",
        "Referral source": "missing (Practice+ requires one)",
        "Patient status": "missing (Practice+ requires one)"}
    assert str(caught.value).startswith("General practitioner: missing")


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"email": "brooke-at-example"}, "Email", "'brooke-at-example' is not an email address"),
    ({"phone": "555-0199"}, "Phone", "needs at least 10 digits"),
    ({"birth_date": date(2027, 1, 1)}, "Date of birth", "is in the future"),
    ({"postal_code": "3030"}, "Postal code", "'3030' is not a ZIP code"),
    ({"patient_status": "vip"}, "Patient status",
     "must be one of patient, prospect, patientprospect"),
])
def test_a_malformed_field_is_named_with_what_is_wrong(change: dict[str, object], field: str,
                                                      message: str) -> None:
    with pytest.raises(PatientValidationError) as caught:
        patient_body_build(draft=replace(COMPLETE, **change), flavor="select", today=TODAY)
    assert caught.value.problems == {field: message}


def test_the_bodies_have_the_shape_of_the_vendor_samples() -> None:
    for flavor, draft, sample in (
            ("select", COMPLETE, "select-patient-create-minimal.request.json"),
            ("practiceplus", PRACTICE_PLUS, "practiceplus-patient-create-minimal.request.json")):
        body = patient_body_build(draft=draft, flavor=flavor, today=TODAY)
        expected = fixture_load(sample)
        assert set(expected) <= set(body)
        assert body["name"][0]["use"] == "official" and body["birthDate"] == "1986-04-12"
        assert body["address"][0]["postalCode"] == "30305"
        urls = {ext["url"].rsplit("/", 1)[-1] for ext in body.get("extension", [])}
        expected_urls = {ext["url"].rsplit("/", 1)[-1] for ext in expected.get("extension", [])}
        assert expected_urls <= urls


@pytest.mark.parametrize("flavor", ["select", "practiceplus"])
def test_a_duplicate_is_reported_as_already_exists_and_search_finds_it(rig: Rig,
                                                                       flavor: str) -> None:
    rig.practice(flavor)  # type: ignore[arg-type]
    client = rig.client(flavor)  # type: ignore[arg-type]
    draft = PRACTICE_PLUS if flavor == "practiceplus" else COMPLETE
    created = client.patient_create(draft=draft)
    assert (created.given, created.family, created.birth_date) == (
        "Brooke", "Ellison", date(1986, 4, 12))
    assert created.location is not None and created.location.id == "2"
    with pytest.raises(PatientAlreadyExists) as caught:
        client.patient_create(draft=draft)
    assert caught.value.status == 409 and "already exists" in str(caught.value)
    found = client.patients_search(family="ellison", given="Brooke", birthdate=date(1986, 4, 12))
    assert [p.id for p in found.items] == [created.id]
    assert [p.id for p in client.patients_search(email="BROOKE@example.com").items] == [created.id]
    assert [p.id for p in client.patients_search(phone="4045550199").items] == [created.id]
    assert client.patient_get(patient_id=str(created.chart_number)).id == created.id


def test_a_different_phone_is_not_a_duplicate(rig: Rig) -> None:
    rig.practice("select")
    client = rig.client("select")
    first = client.patient_create(draft=COMPLETE)
    second = client.patient_create(draft=replace(COMPLETE, phone="(404) 555-0100"))
    assert first.id != second.id
    assert len(client.patients_search(family="Ellison").items) == 2
