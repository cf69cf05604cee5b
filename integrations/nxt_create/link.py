"""After Nextech's 409: find the patient it already has; then link a patient to a contact."""

from __future__ import annotations

from datetime import datetime

from integrations.engine.apply import patient_apply
from integrations.models import KnownPatient
from integrations.nextech.client import NextechClient
from integrations.nextech.patient_create import PatientDraft
from integrations.nextech.resources import Patient


def duplicates_find(*, nextech: NextechClient, draft: PatientDraft) -> tuple[Patient, ...]:
    """Who Nextech's duplicate rule matched: by name and date of birth, else by email and
    phone together (either alone is shared by spouses and families)."""
    by_name = nextech.patients_search(family=draft.family, given=draft.given,
                                      birthdate=draft.birth_date).items
    if by_name:
        return by_name
    return nextech.patients_search(email=draft.email, phone=draft.phone).items


def patient_link(*, patient: Patient, contact_id: str, region: str, now: datetime) -> str | None:
    """Link the Nextech patient to the contact, so its appointment events update this contact.

    Returns the problem instead when the patient already belongs to another CRM contact:
    linking it here too would send one patient's updates to two contacts.
    """
    other = (KnownPatient.objects.filter(nextech_id=patient.id).exclude(contact_id="")
             .exclude(contact_id=contact_id).exists())
    if other:
        return ("This patient is already in Nextech and linked to another contact in the CRM; "
                "merge the two contacts, then add the tag again")
    patient_apply(patient, region=region, fetched_at=now)
    KnownPatient.objects.filter(nextech_id=patient.id).update(contact_id=contact_id)
    return None
