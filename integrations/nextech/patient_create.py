"""NXT-Create: check a patient's required fields per flavor, then build the POST /Patient body.

Checking before sending turns Nextech's vague 400 into a message staff can act on
("Phone: missing"), which the spec calls the most common cause of failed creates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from integrations.nextech.resources import Flavor

SELECT_EXT = "https://select.nextech-api.com/api/structuredefinition/"
PRACTICE_PLUS_EXT = "https://api.pm.nextech.com/api/structuredefinition/"
# Write codes; Select reads them back capitalised ("Patient").
SELECT_PATIENT_STATUSES = ("patient", "prospect", "patientprospect")
PRACTICE_PLUS_PATIENT_STATUSES = (
    "Active", "Deceased", "Inactive", "Merged", "Not Yet Seen", "Restricted Access",
)
PHONE_USES = ("home", "work", "mobile")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
POSTAL_PATTERN = re.compile(r"^\d{5}(-?\d{4})?$")


@dataclass(frozen=True)
class PatientDraft:
    """A patient to create, as the CRM contact had it; any field may still be missing."""

    given: str | None = None
    family: str | None = None
    email: str | None = None
    phone: str | None = None
    phone_use: str = "mobile"
    birth_date: date | None = None
    postal_code: str | None = None
    location_id: str | None = None  # the patient's default location (multi-location practices)
    general_practitioner_id: str | None = None  # Practice+: required
    referral_source_id: str | None = None  # Practice+: required
    patient_status: str | None = None  # Practice+: required ("Active"...); Select: optional


class PatientValidationError(ValueError):
    """Required fields are missing or malformed; `problems` maps field -> message."""

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{name}: {msg}" for name, msg in problems.items()))


def patient_create_problems(*, draft: PatientDraft, flavor: Flavor, today: date) -> dict[str, str]:
    """Every problem at once, keyed by the CRM-facing field name, so staff fix them in one go."""
    problems: dict[str, str] = {}
    for label, value in (("First name", draft.given), ("Last name", draft.family)):
        if not (value or "").strip():
            problems[label] = "missing"
    email = (draft.email or "").strip()
    if not email:
        problems["Email"] = "missing"
    elif not EMAIL_PATTERN.match(email):
        problems["Email"] = f"{email!r} is not an email address"
    digits = re.sub(r"\D", "", draft.phone or "")
    if not digits:
        problems["Phone"] = "missing"
    elif len(digits) < 10:
        problems["Phone"] = "needs at least 10 digits"
    if draft.phone_use not in PHONE_USES:
        problems["Phone type"] = f"must be one of {', '.join(PHONE_USES)}"
    if draft.birth_date is None:
        problems["Date of birth"] = "missing"
    elif draft.birth_date > today:
        problems["Date of birth"] = "is in the future"
    postal = (draft.postal_code or "").strip()
    if not postal:
        problems["Postal code"] = "missing"
    elif not POSTAL_PATTERN.match(postal):
        problems["Postal code"] = f"{postal!r} is not a ZIP code"
    if flavor == "practiceplus":
        problems.update(_practice_plus_problems(draft))
    elif draft.patient_status and draft.patient_status not in SELECT_PATIENT_STATUSES:
        problems["Patient status"] = f"must be one of {', '.join(SELECT_PATIENT_STATUSES)}"
    return problems


def _practice_plus_problems(draft: PatientDraft) -> dict[str, str]:
    problems: dict[str, str] = {}
    if not draft.general_practitioner_id:
        problems["General practitioner"] = "missing (Practice+ requires one)"
    if not draft.referral_source_id:
        problems["Referral source"] = "missing (Practice+ requires one)"
    if not draft.patient_status:
        problems["Patient status"] = "missing (Practice+ requires one)"
    elif draft.patient_status not in PRACTICE_PLUS_PATIENT_STATUSES:
        problems["Patient status"] = f"must be one of {', '.join(PRACTICE_PLUS_PATIENT_STATUSES)}"
    return problems


def patient_body_build(*, draft: PatientDraft, flavor: Flavor, today: date) -> dict[str, Any]:
    """The POST /Patient body, shaped like the vendor's minimal samples; validates first."""
    problems = patient_create_problems(draft=draft, flavor=flavor, today=today)
    if problems:
        raise PatientValidationError(problems)
    base = PRACTICE_PLUS_EXT if flavor == "practiceplus" else SELECT_EXT
    extensions: list[dict[str, Any]] = []
    if draft.patient_status:
        extensions.append({"url": base + "patient-status", "valueString": draft.patient_status})
    if draft.referral_source_id:
        reference = f"referral-source/{draft.referral_source_id}"
        extensions.append({"url": base + "referral-source",
                           "valueReference": {"reference": reference}})
    if draft.location_id:
        extensions.append({"url": base + "patient-location",
                           "valueReference": {"reference": f"location/{draft.location_id}"}})
    body: dict[str, Any] = {
        "resourceType": "Patient",
        "name": [{"use": "official", "family": str(draft.family).strip(),
                  "given": [str(draft.given).strip()]}],
        "telecom": [
            {"system": "phone", "value": str(draft.phone).strip(), "use": draft.phone_use,
             "rank": 1},
            {"system": "email", "value": str(draft.email).strip()},
        ],
        "birthDate": draft.birth_date.isoformat() if draft.birth_date else None,
        "address": [{"use": "home", "postalCode": str(draft.postal_code).strip()}],
    }
    if extensions:
        body["extension"] = extensions
    if draft.general_practitioner_id:
        reference = f"practitioner/{draft.general_practitioner_id}"
        body["generalPractitioner"] = [{"reference": reference}]
    return body
