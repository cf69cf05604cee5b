"""The parsers tolerate every documented quirk of both flavors, and a bad resource fails alone
with a message naming it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from integrations.nextech import NextechParseError
from integrations.nextech.parse import appointment_parse, bundle_parse, payment_parse

SD = "https://select.nextech-api.com/api/structuredefinition/"


def appointment(**changes: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "resourceType": "Appointment", "id": "501", "status": "booked",
        "start": "2026-01-06T09:00:00-05:00", "end": "2026-01-06T09:30:00-05:00",
        "extension": [{"url": SD + "appointment-type",
                       "valueReference": {"reference": "appointment-type/5",
                                          "display": "Injectables"}}],
        "participant": [{"actor": {"reference": "Patient/ab-12", "display": "Quill, Ada"}},
                        {"actor": {"reference": "Location/2", "display": "MedSpa"}}],
    }
    raw.update(changes)
    return raw


def test_extension_urls_match_by_name_in_any_case_and_either_reference_style() -> None:
    parsed = appointment_parse(appointment(extension=[
        {"url": "APPOINTMENT-TYPE", "valueResourceReference": {"reference": "appointment-type/7"}},
        {"url": SD.upper() + "APPOINTMENT-PURPOSE",
         "valueReference": {"reference": "appointment-purpose/51", "display": "Botox"}},
        {"url": "appointment-purpose", "valueReference": {"reference": "appointment-purpose/52",
                                                          "display": "Dermal Filler"}},
    ]))
    assert parsed.appointment_type is not None and parsed.appointment_type.id == "7"
    assert [p.display for p in parsed.purposes] == ["Botox", "Dermal Filler"]


def test_a_missing_status_falls_back_to_the_practice_defined_one() -> None:
    raw = appointment(extension=[{"url": SD + "appointment-status",
                                  "valueReference": {"reference": "appointment-status/8",
                                                     "display": "In Room"}}])
    del raw["status"]
    parsed = appointment_parse(raw)
    assert parsed.status is None and parsed.status_label == "In Room"
    assert parsed.practice_status is not None and parsed.practice_status.id == "8"


def test_an_appointment_without_a_patient_is_a_block() -> None:
    parsed = appointment_parse(appointment(participant=[
        {"actor": {"reference": "location/1", "display": "Surgery Center"}}]))
    assert parsed.is_block and parsed.location is not None and parsed.location.id == "1"
    assert not appointment_parse(appointment()).is_block


def test_empty_strings_read_as_absent_and_times_are_timezone_aware() -> None:
    parsed = appointment_parse(appointment(description="", comment="  ", created="",
                                           meta={"lastUpdated": "2026-01-05T14:00:00"}))
    assert parsed.description is None and parsed.created is None
    assert parsed.start.utcoffset() is not None
    assert parsed.last_updated == datetime(2026, 1, 5, 14, tzinfo=UTC)


@pytest.mark.parametrize(("raw", "problem"), [
    (appointment(start="next Tuesday"), "start is not a date-time: 'next Tuesday'"),
    (appointment(start=None), "start is missing"),
    (appointment(resourceType="Slot"), "resourceType is 'Slot', expected 'Appointment'"),
    (appointment(participant="Patient/1"), "participant is not a list"),
])
def test_a_malformed_appointment_names_itself_and_what_is_wrong(raw: dict[str, Any],
                                                                problem: str) -> None:
    with pytest.raises(NextechParseError) as caught:
        appointment_parse(raw)
    assert (caught.value.resource_id, caught.value.problem) == ("501", problem)


def payment(**changes: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "resourceType": "PaymentReconciliation", "id": "9001", "status": "active",
        "total": {"value": 450},
        "extension": [
            {"url": "http://hl7.org/fhir/structuredefinition/Patient",
             "valueReference": {"reference": "Patient/ab-12"}},
            {"url": SD + "payment-date", "valueDate": "2026-01-05"}],
    }
    raw.update(changes)
    return raw


@pytest.mark.parametrize(("status", "counts"), [
    ("active", True), ("cancelled", False), ("entered-in-error", False)])
def test_only_active_payments_count_toward_lifetime_value(status: str, counts: bool) -> None:
    parsed = payment_parse(payment(status=status))
    assert parsed.counts_toward_value is counts
    assert parsed.patient is not None and parsed.patient.id == "ab-12"
    assert str(parsed.payment_date) == "2026-01-05"


@pytest.mark.parametrize(("raw", "problem"), [
    (payment(status="voided"), "status 'voided' is not active, cancelled or entered-in-error"),
    (payment(total={}), "total.value is missing"),
    (payment(total={"value": "lots"}), "total.value is not a number: 'lots'"),
])
def test_a_malformed_payment_names_itself(raw: dict[str, Any], problem: str) -> None:
    with pytest.raises(NextechParseError, match=f"PaymentReconciliation 9001: {problem}"):
        payment_parse(raw)


def test_one_bad_entry_never_sinks_its_page() -> None:
    bundle = {"resourceType": "Bundle", "entry": [
        {"resource": appointment(id="1")}, {"resource": appointment(id="2", start="soon")},
        {"resource": "not an object"}, {"resource": appointment(id="3")}]}
    page = bundle_parse(bundle, appointment_parse)
    assert [a.id for a in page.items] == ["1", "3"]
    assert [str(e) for e in page.errors] == [
        "Appointment 2: start is not a date-time: 'soon'",
        "Appointment (no id): is not a JSON object"]
    assert page.entry_count == 4 and page.next_link is None
