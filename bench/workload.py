"""Synthetic Nextech data at any size: patients with their own email and phone (so the
CRM never has to tell two patients apart) and visits in the demo week's mix."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from integrations.nextech.sandbox import actions
from integrations.nextech.sandbox.seed import GIVEN, LOCAL, TYPES
from integrations.nextech.sandbox.state import PracticeState

AREA_CODES = ("404", "678", "770", "470", "762", "706")
# (type id, location, practitioner): the bookable types of the demo week, blocks left out.
VISIT_KINDS = (("1", "1", "101"), ("2", "1", "102"), ("3", "1", "102"), ("4", "1", "101"),
               ("5", "2", "103"), ("6", "2", "104"), ("7", "2", "104"))


def bench_patient_add(emr: PracticeState, *, n: int) -> str:
    """Patient number `n`: a distinct email and a valid, distinct US mobile number."""
    area = AREA_CODES[n // 10_000 % len(AREA_CODES)]
    given = GIVEN[n % len(GIVEN)]
    return actions.patient_add(
        emr, given=given, family=f"Bench{n}", email=f"{given.lower()}.bench{n}@example.com",
        phones={"mobile": f"({area}) 555-{n % 10_000:04d}"},
        birth_date=date(1960 + n % 40, 1 + n % 12, 1 + n % 28), postal_code="30305",
        patient_status="Prospect", location_id="1", check_duplicate=False).id


def visit_book(emr: PracticeState, rng: random.Random, *, patient_id: str, day: date,
               status: str = "booked") -> str:
    type_id, location, doctor = rng.choice(VISIT_KINDS)
    purposes = next(t[3] for t in TYPES if t[0] == type_id)
    return actions.appointment_book(
        emr, patient_id=patient_id, location_id=location, practitioner_id=doctor,
        type_id=type_id, purpose_ids=[rng.choice(purposes)[0]],
        start=datetime.combine(day, time(rng.randint(8, 16)), LOCAL), status=status).id


def visit_outcome(emr: PracticeState, rng: random.Random, *, appointment_id: str,
                  past: bool) -> None:
    """What becomes of a visit, in roughly the demo week's proportions."""
    roll = rng.random()
    if roll < 0.08:
        actions.appointment_change(emr, appointment_id=appointment_id, status="cancelled")
    elif past and roll < 0.2:
        actions.appointment_change(emr, appointment_id=appointment_id, status="noshow")
    elif past:
        for status in ("arrived", "fulfilled"):
            actions.appointment_change(emr, appointment_id=appointment_id, status=status)


def practice_history_seed(emr: PracticeState, *, patients: int, first: int = 0,
                          seed: int = 7) -> int:
    """`patients` new patients with one to three visits each, within two weeks of today;
    returns the number of appointments booked."""
    rng = random.Random(seed)  # noqa: S311 - benchmark data, not secrets
    today = emr.clock.now().astimezone(LOCAL).date()
    booked = 0
    for n in range(first, first + patients):
        patient = bench_patient_add(emr, n=n)
        for _ in range(rng.randint(1, 3)):
            offset = rng.randint(-14, 14)
            visit = visit_book(emr, rng, patient_id=patient, day=today + timedelta(days=offset))
            visit_outcome(emr, rng, appointment_id=visit, past=offset < 0)
            booked += 1
    return booked


def backfill_seed(emr: PracticeState, *, patients: int) -> int:
    """`patients` patients, each with one upcoming booked visit (what a backfill brings)."""
    rng = random.Random(11)  # noqa: S311 - benchmark data, not secrets
    today = emr.clock.now().astimezone(LOCAL).date()
    for n in range(patients):
        patient = bench_patient_add(emr, n=n)
        visit_book(emr, rng, patient_id=patient, day=today + timedelta(days=1 + n % 20))
    return patients
