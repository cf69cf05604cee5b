"""Every vendor sample in fixtures/ (copied from the Nextech docs, both flavors) is understood:
read samples parse into typed records, request samples are accepted by the sandbox."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from integrations.nextech import parse
from integrations.nextech.sandbox import actions
from tests.nextech.conftest import FIXTURES, Rig, fixture_load

READ_SAMPLES = sorted(p.name for p in FIXTURES.glob("*.json") if ".request." not in p.name
                      and "paymentreconciliation-example" not in p.name)
# The "example" is the body the docs show for posting a payment, so it is a request too.
REQUEST_SAMPLES = sorted(p.name for p in FIXTURES.glob("*.json") if p.name not in READ_SAMPLES)

# What a user of each read sample would check first.
EXPECTED: dict[str, Any] = {
    "select-appointment-search-bundle.json": lambda a: (
        a[0].status == "booked" and a[0].status_label == "Pending"
        and a[0].location.display == "South Dermatology"
        and a[0].purposes[0].display == "Chemical Peel/Skin Treatments"
        and a[0].patient.id == "4AAE9E3C-B1E4-46EA-93C2-CF3B36747D1A"),
    "practiceplus-appointment-search-bundle.json": lambda a: (
        [x.status for x in a] == ["arrived", "cancelled", "arrived"]
        and a[1].purposes[0].id is None and a[1].purposes[0].display == "FP/OCT/PHOTOS//LM"
        and a[0].arrival_time is not None and a[0].appointment_type.display == "Complete exam"),
    "practiceplus-paymentreconciliation-corrections-bundle.json": lambda p: (
        [x.correction for x in p] == ["voided", "voiding", "recreation"]
        and [x.total for x in p] == [Decimal("50.00"), Decimal("-50.00"), Decimal("150.00")]
        and not any(x.counts_toward_value for x in p)
        and p[0].voided_by == "25737" and p[2].recreates == "23267"),
    "select-paymentreconciliation.json": lambda p: (
        p.total == 1000 and p.status == "active" and p.method == "Check"
        and p.patient.id == "1ed5d91a-ce2d-4551-98d9-eecfc3b1ed2c" and p.location.id == "1"),
    "select-patient.json": lambda p: (p.given, p.family, p.chart_number) == (
        "Gregory", "Brinkley", "112711"),
    "practiceplus-patient.json": lambda p: (
        p.patient_status == "Active" and p.phone == "(159) 555-7294"
        and p.general_practitioner.id == "1"),
    "observed-select-patient-put-response.redacted.json": lambda p: (
        p.given == "Alex" and p.middle is None and p.patient_status == "Patient"),
    "select-practitioner.json": lambda p: (p.id, p.npi) == ("9219", "1245319599"),
    "practiceplus-practitioner.json": lambda p: (p.id, p.npi) == ("9219", "1245319599"),
    "select-appointment-purpose.json": lambda p: (
        p.name == "Laser Skin Resurfacing" and p.appointment_type.id == "13"),
    "select-appointment-type.json": lambda t: (t.id, t.name) == ("9", "Surgery Cosmetic"),
    "select-appointment-status-search-bundle.json": lambda s: [x.name for x in s] == [
        "Online Book", "Online Hold"],
    "select-location.json": lambda loc: loc.managed and loc.address.postal_code == "11598",
}


def _parse_sample(payload: dict[str, Any]) -> tuple[Any, parse.BundlePage[Any] | None]:
    kind = payload["resourceType"]
    if kind == "OperationOutcome":
        return parse.operation_outcome_message(payload), None
    if kind != "Bundle":
        return parse.PARSERS[kind](payload), None
    inner = payload["entry"][0]["resource"]["resourceType"]
    # Slot and R4 CareTeam are not synced; their bundles still page and read as Bundles.
    page = parse.bundle_parse(payload, parse.PARSERS.get(inner, lambda raw: raw))
    return list(page.items), page


@pytest.mark.parametrize("name", READ_SAMPLES)
def test_every_read_sample_parses(name: str) -> None:
    parsed, page = _parse_sample(fixture_load(name))
    assert parsed
    if page is not None:
        assert page.errors == () and len(page.items) == page.entry_count
    if name in EXPECTED:
        assert EXPECTED[name](parsed), parsed


def test_the_samples_cover_both_flavors_and_every_synced_resource() -> None:
    names = " ".join(READ_SAMPLES)
    for resource in ("appointment-search", "patient", "location", "practitioner",
                     "paymentreconciliation"):
        assert f"select-{resource}" in names and f"practiceplus-{resource}" in names


def test_the_r4_paging_sample_gives_its_next_link_and_the_error_sample_its_message() -> None:
    _, page = _parse_sample(fixture_load("select-r4-bundle-with-paging-links.json"))
    assert page is not None and page.next_link and "_getpagesoffset=0" in page.next_link
    message, _ = _parse_sample(fixture_load("select-r4-operationoutcome-export-error.json"))
    assert message == "An internal timeout has occurred"


def _world(rig: Rig) -> None:
    """Both practices, with the ids the docs' request samples point at."""
    for flavor in ("select", "practiceplus"):
        practice = rig.practice(flavor)
        for kind, ids in (("locations", ("6",)), ("practitioners", ("1", "9323", "9219")),
                          ("appointment_types", ("25",)), ("purposes", ("31", "202"))):
            for row_id in ids:
                actions.catalog_add(practice, kind=kind, id=row_id, name=f"{kind} {row_id}",
                                    given="Test", family="Provider")
        for patient_id in ("EEA9EC85-849E-4B88-9859-9F30CF309446", "1",
                           "43dfe97c-deb7-45df-b343-e95192dc058a",
                           "f4a46423-0071-4127-bd34-231419fe970f",
                           "386244db-5f44-4d36-864c-1334e7bc5cf5"):
            actions.patient_add(practice, given="Doc", family="Sample", patient_id=patient_id)
        actions.appointment_book(
            practice, patient_id="1", location_id="1", practitioner_id="101", type_id="1",
            purpose_ids=[], start=datetime(2026, 1, 6, 14, tzinfo=UTC),
            appointment_id="5453" if flavor == "select" else "31115")


# (method, path) per request sample; updates run in file order: booked, arrived, then on.
ROUTES = {
    "patient-create": ("POST", "Patient"), "patient-update": ("PUT", "Patient"),
    "appointment-create": ("POST", "Appointment"),
    "appointment-put": ("PUT", "Appointment/5453"),
    "appointment-patch": ("PATCH", "Appointment/31115"),
    "paymentreconciliation": ("POST", "Patient/f4a46423-0071-4127-bd34-231419fe970f/"
                                      "PaymentReconciliation"),
}
WRITE_ORDER = ("patch-booked", "patch-arrived", "put-status-booked", "put-status-arrived",
               "put-custom-status", "put-request-cancel-queue", "put-cancel")


def _order(name: str) -> int:
    return next((i for i, key in enumerate(WRITE_ORDER) if key in name), -1)


def test_every_request_sample_is_accepted_by_the_sandbox(rig: Rig) -> None:
    _world(rig)
    answered = {}
    for name in sorted(REQUEST_SAMPLES, key=_order):
        flavor = "practiceplus" if name.startswith("practiceplus") else "select"
        method, path = next(route for key, route in ROUTES.items() if key in name)
        client = rig.client(flavor)
        response = client.send(method, f"{client.base_url}/{path}", json=fixture_load(name))
        answered[name] = response.json()
        parse.PARSERS[answered[name]["resourceType"]](answered[name])  # answers parse too
    assert len(answered) == len(REQUEST_SAMPLES)
    select = rig.practices["select"]
    assert select.statuses[select.appointments["5453"].status_id].extra["fhir"] == "cancelled"
    prospect = answered["select-appointment-create-prospect-hold.request.json"]
    assert parse.appointment_parse(prospect).status == "proposed"  # a hold for a new prospect
    inactive = rig.practices["practiceplus"].patients["386244db-5f44-4d36-864c-1334e7bc5cf5"]
    assert inactive.patient_status == "Inactive"
