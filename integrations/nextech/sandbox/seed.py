"""A realistic, repeatable week of a plastic-surgery + med-spa practice for demos and benchmarks.

Two locations (surgery centre, med spa), surgeons and injectors, consults, surgeries, pre-op and
post-op visits, injectables and skin treatments, blocks, cancellations, no-shows, payments
(one voided, one voided and corrected). All names are invented. Same seed, same week.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

from integrations.nextech.sandbox import actions
from integrations.nextech.sandbox.state import PracticeState

LOCAL = timezone(timedelta(hours=-5), "EST")  # fixed offset: no tz database needed

LOCATIONS = (("1", "Aurora Plastic Surgery - Buckhead", "(404) 555-0141", "30305"),
             ("2", "Aurora MedSpa - Alpharetta", "(678) 555-0172", "30009"))
PRACTITIONERS = (("101", "Elena", "Marsh", "1881234567"), ("102", "Victor", "Lane", "1992345678"),
                 ("103", "Jenna", "Cole", "1003456789"), ("104", "Priya", "Raman", "1114567890"))
# type id, name, minutes, purposes (id, name)
TYPES = (
    ("1", "Surgical Consult", 60, (("11", "Breast Augmentation"), ("12", "Rhinoplasty"),
                                   ("13", "Abdominoplasty"), ("14", "Facelift"))),
    ("2", "Cosmetic Surgery", 180, (("21", "Breast Augmentation"), ("22", "Liposuction"),
                                    ("23", "Blepharoplasty"), ("24", "Rhinoplasty"))),
    ("3", "Pre-Op", 30, (("31", "Pre-Op Visit"),)),
    ("4", "Post-Op", 30, (("41", "1 Week Post-Op"), ("42", "6 Week Post-Op"))),
    ("5", "Injectables", 30, (("51", "Botox"), ("52", "Dermal Filler"), ("53", "Kybella"))),
    ("6", "Skin Treatment", 60, (("61", "HydraFacial"), ("62", "Chemical Peel"),
                                 ("63", "Microneedling"), ("64", "IPL Photofacial"))),
    ("7", "Virtual Consult", 30, (("71", "Online Cosmetic Consult"),)),
    ("8", "Block", 60, (("81", "Staff Meeting"), ("82", "Lunch"))),
)
GIVEN = ("Avery", "Brooke", "Camila", "Dana", "Elise", "Farrah", "Gemma", "Hana", "Isla", "Jolie",
         "Kendra", "Lena", "Maya", "Noor", "Olivia", "Paige", "Quinn", "Rosa", "Sienna", "Talia",
         "Uma", "Vera", "Willa", "Ximena", "Yara", "Zoe", "Marcus", "Derek", "Omar", "Ryan")
FAMILY = ("Abbott", "Bishop", "Calloway", "Delgado", "Ellison", "Fontaine", "Garrity", "Hollis",
          "Ingram", "Jensen", "Kowalski", "Lindqvist", "Moreau", "Nakamura", "Okafor", "Prescott",
          "Quintero", "Redding", "Sorensen", "Thibault", "Underwood", "Vasquez", "Whitlock")
PRICES = {"5": (350, 900), "6": (175, 450), "2": (2500, 6000), "1": (150, 150)}


def catalog_seed(practice: PracticeState) -> None:
    for loc_id, name, phone, postal in LOCATIONS:
        actions.catalog_add(practice, kind="locations", id=loc_id, name=name, phone=phone,
                            postal_code=postal, city="Atlanta", state="GA")
    for doc_id, given, family, npi in PRACTITIONERS:
        actions.catalog_add(practice, kind="practitioners", id=doc_id, name=f"{family}, {given}",
                            given=given, family=family, npi=npi)
    for type_id, name, minutes, purposes in TYPES:
        actions.catalog_add(practice, kind="appointment_types", id=type_id, name=name,
                            duration=minutes)
        for purpose_id, purpose in purposes:
            actions.catalog_add(practice, kind="purposes", id=purpose_id, name=purpose,
                                type_id=type_id)


def _patients_seed(practice: PracticeState, rng: random.Random, count: int) -> list[str]:
    ids = []
    for n in range(count):
        given, family = GIVEN[n % len(GIVEN)], rng.choice(FAMILY)
        birth = date(rng.randint(1958, 2001), rng.randint(1, 12), rng.randint(1, 28))
        row = actions.patient_add(
            practice, given=given, family=family,
            email=f"{given.lower()}.{family.lower()}{n}@example.com",
            phones={"mobile": f"(404) 555-{1000 + n:04d}"}, birth_date=birth,
            postal_code=rng.choice(("30305", "30009", "30022", "30342")),
            gender="male" if given in ("Marcus", "Derek", "Omar", "Ryan") else "female",
            location_id=rng.choice(("1", "2")), general_practitioner_id="101",
            referral_source=("3", "Instagram"), check_duplicate=False)
        ids.append(row.id)
    return ids


# Per weekday: (type id, location, practitioner, local hour) for each slot in the day.
DAY_PLAN = (
    ("2", "1", "101", 7), ("2", "1", "102", 8), ("1", "1", "101", 13), ("1", "1", "102", 14),
    ("1", "1", "101", 15), ("3", "1", "102", 11), ("4", "1", "101", 16), ("8", "1", "101", 12),
    ("5", "2", "103", 9), ("5", "2", "103", 10), ("5", "2", "103", 14), ("6", "2", "104", 9),
    ("6", "2", "104", 11), ("7", "2", "104", 16),
)


def working_days_around(today: date, *, count: int = 5) -> list[date]:
    """`count` weekdays with `today` in the middle, so a demo has history and upcoming visits."""
    first = today
    for _ in range(count // 2):
        first -= timedelta(days=1)
        while first.weekday() >= 5:
            first -= timedelta(days=1)
    days: list[date] = []
    while len(days) < count:
        if first.weekday() < 5:
            days.append(first)
        first += timedelta(days=1)
    return days


def seed_demo_week(practice: PracticeState, *, week_start: date | None = None,
                   seed: int = 7) -> dict[str, int]:
    """Fill the practice with five working days and ~30 patients; returns the counts.

    The days start at `week_start`, or sit around the sandbox's today so some visits are done.
    """
    rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
    today = practice.clock.now().astimezone(LOCAL).date()
    days = working_days_around(week_start + timedelta(days=2) if week_start else today)
    if not practice.locations:
        catalog_seed(practice)
    patients = _patients_seed(practice, rng, 30)
    booked = 0
    for day in days:
        for type_id, location, doctor, hour in DAY_PLAN:
            if rng.random() < 0.15 and type_id != "8":
                continue  # an open slot
            start = datetime.combine(day, time(hour, rng.choice((0, 30))), LOCAL)
            _appointment_seed(practice, rng, type_id=type_id, location=location, doctor=doctor,
                              start=start, patient=None if type_id == "8" else rng.choice(patients))
            booked += 1
    return {"patients": len(patients), "appointments": booked, "payments": len(practice.payments),
            "locations": len(practice.locations)}


def _appointment_seed(practice: PracticeState, rng: random.Random, *, type_id: str,
                      location: str, doctor: str, start: datetime, patient: str | None) -> None:
    _, _, minutes, purposes = next(t for t in TYPES if t[0] == type_id)
    purpose_ids = [rng.choice(purposes)[0]]
    if type_id == "5" and rng.random() < 0.3:
        purpose_ids.append("52" if purpose_ids[0] != "52" else "51")  # Botox + filler together
    row = actions.appointment_book(
        practice, patient_id=patient, location_id=location, practitioner_id=doctor,
        type_id=type_id, purpose_ids=purpose_ids, start=start, minutes=minutes,
        status="pending")
    past = start < practice.clock.now()
    roll = rng.random()
    if patient is None:
        return
    if roll < 0.08:
        actions.appointment_change(practice, appointment_id=row.id, status="cancelled")
    elif past and roll < 0.2:
        actions.appointment_change(practice, appointment_id=row.id, status="noshow")
    elif type_id == "7" and not past:
        # Booked online: a practice-defined status with no FHIR equivalent.
        actions.appointment_change(practice, appointment_id=row.id, status="Online Book")
    elif past:
        for status in ("booked", "arrived", "fulfilled"):
            actions.appointment_change(practice, appointment_id=row.id, status=status)
        _payment_seed(practice, rng, type_id=type_id, patient=patient, location=location,
                      doctor=doctor, day=start.date())
    elif roll < 0.6:
        actions.appointment_change(practice, appointment_id=row.id, status="booked")


def _payment_seed(practice: PracticeState, rng: random.Random, *, type_id: str, patient: str,
                  location: str, doctor: str, day: date) -> None:
    if type_id not in PRICES:
        return
    low, high = PRICES[type_id]
    amount = Decimal(rng.randrange(low, high + 1, 25))
    payment = actions.payment_add(practice, patient_id=patient, total=amount, location_id=location,
                                  practitioner_id=doctor, method=rng.choice(("Charge", "Cash")),
                                  category="Cosmetic", payment_date=day)
    # Keying errors every demo shows: the 3rd payment voided, the 6th voided and re-entered.
    if len(practice.payments) == 3:
        actions.payment_void(practice, payment_id=payment.id)
    elif len(practice.payments) == 7:  # 3 rows so far from the void, then this one
        actions.payment_void(practice, payment_id=payment.id, corrected_total=amount - 50)
