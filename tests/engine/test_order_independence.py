"""Any order and any repetition of a patient's event history gives the same CRM contact,
with exactly one note per distinct event (hypothesis)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from integrations.engine.facts_load import rules_load
from integrations.engine.outbox import outbox_drain
from integrations.engine.process import Context, inbox_process
from integrations.engine.records import record_encode
from integrations.models import InboxItem
from integrations.nextech.resources import Appointment, Patient, PaymentReconciliation, Phone, Ref

T0 = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
PATIENT = Patient(
    id="p-77", chart_number="77", given="Noor", middle=None, family="Okafor",
    birth_date=datetime(1990, 6, 1).date(), email="noor.okafor@example.com",
    phones=(Phone("mobile", "(404) 555-0177"),), address=None, gender=None,
    patient_status="Prospect", patient_type=None, referral_source=None, location=None,
    general_practitioner=None, last_updated=T0,
)


def _visit(id: str, type_id: str, type_name: str, *, status: str, days: int, booked: int,
           changed: int) -> Appointment:
    return Appointment(
        id=id, status=status, practice_status=None, start=T0 + timedelta(days=days), end=None,
        patient=Ref("patient", PATIENT.id), location=Ref("location", "1", "Buckhead"),
        practitioner=Ref("practitioner", "101", "Dr. Marsh"),
        appointment_type=Ref("appointment-type", type_id, type_name), purposes=(),
        description=None, created=T0 + timedelta(hours=booked),
        last_updated=T0 + timedelta(hours=changed),
    )


consult = _visit("a1", "1", "Surgical Consult", status="booked", days=2, booked=0, changed=0)
surgery = _visit("a2", "2", "Cosmetic Surgery", status="booked", days=20, booked=30, changed=30)
HISTORY: list[Any] = [
    consult,
    _visit("a0", "1", "Surgical Consult", status="cancelled", days=1, booked=-5, changed=1),
    replace(consult, status="fulfilled", last_updated=T0 + timedelta(hours=26)),
    surgery,
    replace(surgery, status="cancelled", last_updated=T0 + timedelta(hours=40)),
    _visit("a3", "5", "Injectables", status="fulfilled", days=3, booked=50, changed=70),
    PaymentReconciliation(id="pay1", status="active", total=Decimal("450.00"),
                          patient=Ref("patient", PATIENT.id), location=None,
                          payment_date=(T0 + timedelta(days=3)).date(), created=None,
                          last_updated=T0 + timedelta(hours=71), method="Charge", category=None,
                          provider=None),
]
RESOURCE = {Appointment: "Appointment", PaymentReconciliation: "PaymentReconciliation",
            Patient: "Patient"}


def _poll(records: list[Any]) -> None:
    """What one poll stores: each record once per version (duplicates collapse)."""
    for record in [PATIENT, *records]:
        InboxItem.objects.get_or_create(
            resource=RESOURCE[type(record)], external_id=record.id,
            version=record.last_updated.isoformat(),
            defaults={"last_updated": record.last_updated, "payload": record_encode(record)})


def _run(rig, practice, polls: list[list[Any]]) -> dict[str, Any]:
    practice.payments_enabled = True
    rig.fresh_location()
    rig.crm_setup()
    ctx = Context(rules_source=lambda: rules_load(practice), time_zone="America/New_York",
                  region="US",
                  today=T0.date(), now=T0, tick_id=None)
    for records in polls:
        _poll(records)
        inbox_process(ctx=ctx, patient_fetch=lambda _: None)
        outbox_drain(client=rig.ghl, clock=rig.clock)
    contact = rig.contact("noor.okafor@example.com")
    return {
        "fields": contact["customFields"],
        "dob": contact.get("dateOfBirth"),
        "opportunities": sorted((o["pipeline"], o["stage"], o["status"], o["monetaryValue"])
                                for o in contact["opportunities"]),
        "notes": sorted(n["body"] for n in contact["notes"]),
    }


class Rollback(Exception):
    pass


def _isolated(rig, practice, polls):
    result = {}
    try:
        with transaction.atomic():
            result = _run(rig, practice, polls)
            raise Rollback
    except Rollback:
        return result


# Each example: the history shuffled, some events repeated, cut into 1-4 polls.
histories = st.permutations(HISTORY).flatmap(
    lambda events: st.tuples(
        st.just(list(events)),
        st.lists(st.sampled_from(HISTORY), max_size=4),
        st.lists(st.integers(min_value=1, max_value=len(HISTORY)), min_size=0, max_size=3),
    ))


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=histories)
def test_any_order_and_repetition_gives_the_same_contact(rig, in_practice, case):
    events, repeats, cuts = case
    stream = events + repeats
    bounds = sorted({0, *(c % len(stream) for c in cuts), len(stream)})
    polls = [stream[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]

    expected = _isolated(rig, in_practice, [HISTORY])
    actual = _isolated(rig, in_practice, polls)

    assert actual == expected
    distinct_events = {(r.id, r.status) for r in HISTORY}
    assert len(actual["notes"]) == len(distinct_events)


def test_the_reference_history_ends_where_the_spec_says(rig, in_practice):
    state = _isolated(rig, in_practice, [HISTORY])
    # The surgery, booked last, was cancelled: the surgical pipeline shows it; the
    # fulfilled consult and injectables made her a patient (won); one payment counted.
    assert ("Surgical", "Cancelled / No-Show", "won", 450.0) in state["opportunities"]
    assert ("Non-Surgical", "Patient", "won", 450.0) in state["opportunities"]
    assert state["fields"]["patient_lifetime_value"] == "450.00"
    assert state["fields"]["last_visit_service"] == "Injectables"
    assert state["fields"]["next_visit_date"] == ""
    assert len(state["notes"]) == 7
