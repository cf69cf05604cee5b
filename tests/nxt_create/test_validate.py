"""contact_draft: every reason a contact cannot become a Nextech patient, in front-desk words."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from integrations.ghl.models import Contact
from integrations.nxt_create.validate import DraftRules, contact_draft

TODAY = date(2026, 1, 5)
SELECT = DraftRules(flavor="select", region="US")
PRACTICE_PLUS = DraftRules(flavor="practiceplus", region="US", referral_source_id="3",
                           general_practitioner_id="101", patient_status="Active")
GOOD = Contact(id="c1", location_id="loc", first_name="Dana", last_name="Reyes",
               email="dana@example.com", phone="+1 404 555 0101",
               date_of_birth=date(1988, 4, 12), tags=("NXT-Create",), postal_code="30301")


def _problems(rules: DraftRules = SELECT, **changes: object) -> tuple[str, ...]:
    contact = dataclasses.replace(GOOD, **changes)  # type: ignore[arg-type]
    return contact_draft(contact=contact, rules=rules, today=TODAY).problems


def test_a_complete_contact_has_no_problem_and_a_full_draft():
    result = contact_draft(contact=GOOD, rules=SELECT, today=TODAY)
    assert result.problems == ()
    draft = result.draft
    assert (draft.given, draft.family, draft.email, draft.birth_date, draft.postal_code) == (
        "Dana", "Reyes", "dana@example.com", date(1988, 4, 12), "30301")
    assert draft.phone == "(404) 555-0101"  # as the practice types it: Nextech compares digits
    assert draft.location_id is None and draft.general_practitioner_id is None


@pytest.mark.parametrize(("field", "blank", "message"), [
    ("first_name", None, "First name is missing"),
    ("first_name", "  ", "First name is missing"),
    ("last_name", None, "Last name is missing"),
    ("email", "", "Email is missing"),
    ("phone", None, "Phone is missing"),
    ("date_of_birth", None, "Date of birth is missing"),
    ("postal_code", None, "Postal code is missing"),
])
@pytest.mark.parametrize("rules", [SELECT, PRACTICE_PLUS], ids=["select", "practiceplus"])
def test_each_required_field_missing_is_named(field, blank, message, rules):
    assert _problems(rules, **{field: blank}) == (message,)


@pytest.mark.parametrize(("field", "value", "message"), [
    ("phone", "555-0100", "Phone 555-0100 is not a valid US number"),
    ("phone", "call me", "Phone call me is not a valid US number"),
    ("phone", "+1 404 555 01", "Phone +1 404 555 01 is not a valid US number"),
    ("email", "dana.example.com", "Email dana.example.com is not a valid email address"),
    ("email", "dana@example", "Email dana@example is not a valid email address"),
    ("date_of_birth", date(2026, 1, 6), "Date of birth 01/06/2026 is in the future"),
    ("date_of_birth", date(1905, 1, 4), "Date of birth 01/04/1905 is more than 120 years ago"),
    ("postal_code", "3030", "Postal code 3030 is not a valid ZIP code"),
])
def test_each_format_error_is_named(field, value, message):
    assert _problems(**{field: value}) == (message,)


def test_edge_dates_are_accepted():
    assert _problems(date_of_birth=TODAY) == ()
    assert _problems(date_of_birth=date(1906, 1, 5)) == ()  # exactly 120 years


def test_a_number_from_another_country_is_valid_and_kept_international():
    result = contact_draft(contact=dataclasses.replace(GOOD, phone="+44 20 7946 0018"),
                           rules=SELECT, today=TODAY)
    assert result.problems == () and result.draft.phone == "+44 20 7946 0018"


def test_the_practice_country_reads_local_numbers():
    canada = dataclasses.replace(SELECT, region="CA")
    assert _problems(canada, phone="604 555 0143") == ()
    assert _problems(canada, phone="555-0100") == ("Phone 555-0100 is not a valid CA number",)


def test_every_problem_is_listed_at_once():
    assert _problems(first_name=None, email="nope", phone="555-0100", date_of_birth=None) == (
        "First name is missing", "Email nope is not a valid email address",
        "Phone 555-0100 is not a valid US number", "Date of birth is missing")


@pytest.mark.parametrize(("missing", "message"), [
    ("general_practitioner_id", "No default general practitioner is set for new patients"),
    ("referral_source_id", "No default referral source is set for new patients"),
    ("patient_status", "No valid default patient status is set for new patients"),
])
def test_practice_plus_needs_the_practice_defaults(missing, message):
    rules = dataclasses.replace(PRACTICE_PLUS, **{missing: ""})
    (problem,) = _problems(rules)
    assert problem.startswith(message) and "administrator" in problem


def test_practice_plus_defaults_go_into_the_draft():
    draft = contact_draft(contact=GOOD, rules=PRACTICE_PLUS, today=TODAY).draft
    assert (draft.general_practitioner_id, draft.referral_source_id, draft.patient_status) == (
        "101", "3", "Active")


def test_a_select_status_that_nextech_cloud_does_not_know_is_a_setup_problem():
    (problem,) = _problems(dataclasses.replace(SELECT, patient_status="Active"))
    assert problem.startswith("The default patient status is not valid for Nextech Cloud")


MULTI = dataclasses.replace(SELECT, location_required=True, location_field_name="Patient Location",
                            location_field_id="fld1",
                            locations={"downtown": "1", "north clinic": "2"})


@pytest.mark.parametrize(("value", "location_id"), [
    ("Downtown", "1"), ("north clinic", "2"), (["North Clinic"], "2"),
])
def test_the_location_field_maps_to_the_nextech_location(value, location_id):
    contact = dataclasses.replace(GOOD, custom_fields={"fld1": value})
    result = contact_draft(contact=contact, rules=MULTI, today=TODAY)
    assert result.problems == () and result.draft.location_id == location_id


def test_an_unmapped_location_names_the_value():
    assert _problems(MULTI, custom_fields={"fld1": "Uptown"}) == (
        "Patient Location 'Uptown' does not match any Nextech location; "
        "ask your AX Connect administrator to map it",)


def test_a_missing_location_is_a_problem_for_multi_location_practices_only():
    assert _problems(MULTI) == (
        "Patient Location is missing (choose where the patient should be created)",)
    assert _problems(SELECT) == ()


def test_a_location_field_missing_from_the_crm_is_a_setup_problem():
    (problem,) = _problems(dataclasses.replace(MULTI, location_field_id=None))
    assert "'Patient Location'" in problem and "was not found" in problem
