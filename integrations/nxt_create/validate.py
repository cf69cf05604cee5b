"""CRM contact -> the Nextech patient to create, or what staff must fix first (pure).

Every problem is found at once and said the way the front desk sees the contact
("Date of birth is missing"), because the spec names missing or malformed fields as
the most common reason a patient is not created.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat

from integrations.ghl.models import Contact
from integrations.nextech.patient_create import (
    EMAIL_PATTERN,
    POSTAL_PATTERN,
    PRACTICE_PLUS_PATIENT_STATUSES,
    SELECT_PATIENT_STATUSES,
    PatientDraft,
    patient_create_problems,
)
from integrations.nextech.resources import Flavor

OLDEST_AGE_YEARS = 120
ASK_ADMIN = "ask your AX Connect administrator"


@dataclass(frozen=True)
class DraftRules:
    """What the practice decides about new patients (from EngineSettings and Locations)."""

    flavor: Flavor
    region: str  # the practice's country, for phone numbers without +CC
    referral_source_id: str = ""
    general_practitioner_id: str = ""
    patient_status: str = ""
    location_field_name: str = ""
    location_field_id: str | None = None  # None: the field is not found in the CRM
    location_required: bool = False  # a multi-location practice with the field set up
    # The CRM location value (case-folded) -> Nextech location id.
    locations: Mapping[str, str] = field(default_factory=dict)
    # The contact field naming the marketing source (None: the contact's attribution).
    source_field_id: str | None = None
    # The CRM source (case-folded) -> (Nextech referral source id, its name).
    referral_sources: Mapping[str, tuple[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class ReferralChoice:
    """The referral source a new patient gets, and why (said in the NXT-Create note)."""

    crm_source: str = ""  # the contact's marketing source; "" when it has none
    referral_source_id: str = ""  # "" sends none
    mapped_name: str = ""  # the mapping's Nextech name, when the source is mapped
    mapped: bool = False


@dataclass(frozen=True)
class DraftResult:
    draft: PatientDraft
    problems: tuple[str, ...]
    referral: ReferralChoice = ReferralChoice()


def _text(value: object) -> str:
    if isinstance(value, list | tuple):
        value = next((v for v in value if v), "")
    return str(value or "").strip()


def phone_check(raw: str, *, region: str) -> tuple[str | None, str | None]:
    """(the number as Nextech shows it, None) or (None, the problem)."""
    country = region.upper()
    if not raw:
        return None, "Phone is missing"
    try:
        number = phonenumbers.parse(raw, country)
    except NumberParseException:
        return None, f"Phone {raw} is not a valid {country} number"
    if not phonenumbers.is_valid_number(number):
        return None, f"Phone {raw} is not a valid {country} number"
    # Nextech keeps local numbers in national form; its duplicate check and phone
    # search compare digits, so the form must match what the practice types.
    local = phonenumbers.region_code_for_number(number) == country
    style = PhoneNumberFormat.NATIONAL if local else PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(number, style), None


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def birth_date_check(birth: date | None, *, today: date) -> str | None:
    if birth is None:
        return "Date of birth is missing"
    if birth > today:
        return f"Date of birth {birth:%m/%d/%Y} is in the future"
    if birth < _years_before(today, OLDEST_AGE_YEARS):
        return f"Date of birth {birth:%m/%d/%Y} is more than {OLDEST_AGE_YEARS} years ago"
    return None


def _email_check(email: str) -> str | None:
    if not email:
        return "Email is missing"
    if not EMAIL_PATTERN.match(email):
        return f"Email {email} is not a valid email address"
    return None


def _postal_check(postal: str) -> str | None:
    if not postal:
        return "Postal code is missing"
    if not POSTAL_PATTERN.match(postal):
        return f"Postal code {postal} is not a valid ZIP code"
    return None


def crm_source_read(contact: Contact, rules: DraftRules) -> str:
    """The field staff named for it, else the first-touch UTM source, else the contact's source."""
    if rules.source_field_id:
        value = _text(contact.custom_fields.get(rules.source_field_id))
        if value:
            return value
    return _text(contact.attribution_source) or _text(contact.source)


def referral_choose(contact: Contact, rules: DraftRules) -> ReferralChoice:
    """The mapped Nextech referral source for the contact's CRM source, else the default."""
    source = crm_source_read(contact, rules)
    mapped = rules.referral_sources.get(source.casefold()) if source else None
    if mapped and mapped[0]:
        return ReferralChoice(crm_source=source, referral_source_id=mapped[0],
                              mapped_name=mapped[1], mapped=True)
    return ReferralChoice(crm_source=source, referral_source_id=rules.referral_source_id)


def _setup_problems(rules: DraftRules, referral: ReferralChoice) -> list[str]:
    """Practice-wide defaults the front desk cannot fix from the contact."""
    problems = []
    if rules.flavor == "practiceplus":
        if not rules.general_practitioner_id:
            problems.append(f"No default general practitioner is set for new patients; {ASK_ADMIN}")
        if not referral.referral_source_id:
            unmapped = (f"CRM source {referral.crm_source!r} is not mapped to a Nextech referral "
                        "source and no" if referral.crm_source else "No")
            problems.append(f"{unmapped} default referral source is set for new patients; "
                            f"{ASK_ADMIN}")
        if rules.patient_status not in PRACTICE_PLUS_PATIENT_STATUSES:
            problems.append(f"No valid default patient status is set for new patients; {ASK_ADMIN}")
    elif rules.patient_status and rules.patient_status not in SELECT_PATIENT_STATUSES:
        problems.append(f"The default patient status is not valid for Nextech Cloud; {ASK_ADMIN}")
    return problems


def _location(contact: Contact, rules: DraftRules) -> tuple[str | None, str | None]:
    """(Nextech location id, None) or (None, the problem); (None, None) when not used."""
    if not rules.location_required:
        return None, None
    name = rules.location_field_name
    if rules.location_field_id is None:
        return None, f"The CRM field {name!r} for the patient's location was not found; {ASK_ADMIN}"
    value = _text(contact.custom_fields.get(rules.location_field_id))
    if not value:
        return None, f"{name} is missing (choose where the patient should be created)"
    location_id = rules.locations.get(value.casefold())
    if location_id is None:
        return None, (f"{name} {value!r} does not match any Nextech location; "
                      f"{ASK_ADMIN} to map it")
    return location_id, None


def contact_draft(*, contact: Contact, rules: DraftRules, today: date) -> DraftResult:
    """The patient to create from the contact, and every reason it cannot be created yet."""
    given, family = _text(contact.first_name), _text(contact.last_name)
    email, postal = _text(contact.email), _text(contact.postal_code)
    phone, phone_problem = phone_check(_text(contact.phone), region=rules.region)
    location_id, location_problem = _location(contact, rules)
    referral = referral_choose(contact, rules)
    found = [
        None if given else "First name is missing",
        None if family else "Last name is missing",
        _email_check(email),
        phone_problem,
        birth_date_check(contact.date_of_birth, today=today),
        _postal_check(postal),
        location_problem,
        *_setup_problems(rules, referral),
    ]
    problems = [p for p in found if p]
    draft = PatientDraft(
        given=given or None, family=family or None, email=email or None, phone=phone,
        birth_date=contact.date_of_birth, postal_code=postal or None, location_id=location_id,
        general_practitioner_id=rules.general_practitioner_id or None,
        referral_source_id=referral.referral_source_id or None,
        patient_status=rules.patient_status or None,
    )
    if not problems:
        # The client's own check is the last word; anything it still objects to is said
        # in its terms rather than sent to Nextech for a vaguer 400.
        leftover = patient_create_problems(draft=draft, flavor=rules.flavor, today=today)
        problems = [f"{label} {message}" for label, message in leftover.items()]
    return DraftResult(draft=draft, problems=tuple(problems), referral=referral)
