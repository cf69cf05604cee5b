"""Dead letters, explained in front-desk words, for the portal's failures page."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import QuerySet

from integrations.models import InboxItem, KnownPatient, NxtCreateRequest, OutboxOp
from tenants.models import GhlCredential, Practice

WHAT_FAILED = {
    "contact_upsert": "Updating the contact in Aesthetix CRM",
    "note_add": "Adding the appointment note in Aesthetix CRM",
    "opportunity_upsert": "Moving the opportunity in Aesthetix CRM",
    "tags_add": "Adding tags in Aesthetix CRM",
    "tags_remove": "Removing tags in Aesthetix CRM",
    "workflow_enrol": "Adding the contact to a workflow in Aesthetix CRM",
}

# (pattern in the technical reason, what it means for the front desk); first match wins.
REASONS: tuple[tuple[str, str], ...] = (
    (r"\b422\b|unprocessable|unknown propert", "Aesthetix CRM refused a value (for example a "
     "malformed email or phone number). Correct it in Nextech, then retry."),
    (r"no GoHighLevel stage is mapped", "This pipeline stage is not linked to a stage in "
     "Aesthetix CRM yet. Ask your agency to link it, then retry."),
    (r"\b404\b|not found", "The contact or opportunity no longer exists in Aesthetix CRM "
     "(it may have been deleted or merged). Retry to create it again."),
    (r"\b409\b|duplicate|already exists", "Another contact already uses this email or phone. "
     "Merge the duplicates in Aesthetix CRM, then retry."),
    (r"\b400\b", "Aesthetix CRM did not accept the request. Check the contact's details, "
     "then retry."),
    (r"names no patient", "The appointment in Nextech has no patient attached, so there is "
     "no contact to update."),
    (r"unreadable", "Nextech sent a record AX Connect could not read. Your agency has been "
     "told; retrying will not help until Nextech's data is fixed."),
    (r"\b5\d\d\b|timeout|connection", "Aesthetix CRM was unavailable for a while. Retry."),
)
FALLBACK = "Something unexpected went wrong. Retry; if it fails again, contact your agency."


def failure_explain(reason: str) -> str:
    for pattern, words in REASONS:
        if re.search(pattern, reason, re.IGNORECASE):
            return words
    return FALLBACK


@dataclass(frozen=True)
class DeadLetter:
    source: str  # "inbox" (from Nextech), "outbox" (to the CRM) or "nxt_create"
    pk: int
    at: datetime
    what: str
    patient_ref: str  # the NXT Patient ID, when the failure is about a known patient
    patient_name: str
    explanation: str
    technical: str  # the reason as recorded, for the agency
    retryable: bool
    contact_id: str = ""  # the CRM contact, when there is no Nextech patient (NXT-Create)
    retry_queued: bool = False  # staff retried it; the next sync tries again


SOURCES = ("outbox", "inbox", "nxt_create")


def _names(patient_ids: set[str]) -> dict[str, str]:
    rows = KnownPatient.objects.filter(nextech_id__in=patient_ids)
    return {p.nextech_id: f"{p.given} {p.family}".strip() for p in rows}


def _inbox_patient(item: InboxItem) -> str:
    """The patient a Nextech change is about, as its stored record names them."""
    if item.resource == "Patient":
        return item.external_id if item.payload else ""
    patient = item.payload.get("patient") if isinstance(item.payload, dict) else None
    return str(patient.get("id") or "") if isinstance(patient, dict) else ""


def crm_contacts_url(*, practice: Practice) -> str:
    """The CRM's contact page for this practice's location, less the contact id; empty
    until the CRM is connected."""
    credential = GhlCredential.objects.filter(practice=practice).first()
    if credential is None or not credential.location_id:
        return ""
    return f"{settings.AXC_CRM_APP_URL}/v2/location/{credential.location_id}/contacts/detail/"


def _outbox_letters(ops: QuerySet[OutboxOp]) -> list[DeadLetter]:
    rows = list(ops)
    names = _names({op.patient_id for op in rows})
    return [DeadLetter("outbox", op.pk, op.created_at, WHAT_FAILED.get(op.kind, op.kind),
                       op.patient_id, names.get(op.patient_id, ""),
                       failure_explain(op.last_error), op.last_error, retryable=True)
            for op in rows]


def _inbox_letters(items: QuerySet[InboxItem]) -> list[DeadLetter]:
    rows = [(item, _inbox_patient(item)) for item in items]
    names = _names({patient for _, patient in rows if patient})
    return [DeadLetter("inbox", item.pk, item.received_at,
                       f"Reading a {item.resource.lower()} change from Nextech",
                       # Only a patient AX Connect knows has a page to open.
                       patient if patient in names else "", names.get(patient, ""),
                       failure_explain(item.error), item.error,
                       # An unreadable record carries nothing to decide again (inbox_replay).
                       retryable=bool(item.payload))
            for item, patient in rows]


def _nxt_create_letters(requests: QuerySet[NxtCreateRequest]) -> list[DeadLetter]:
    return [DeadLetter("nxt_create", request.pk, request.failed_at or request.updated_at,
                       "Creating the patient in Nextech (NXT-Create)", "", request.contact_name,
                       "Fix the contact in Aesthetix CRM, then retry: "
                       + "; ".join(request.problems.splitlines()),
                       request.problems or request.last_error,
                       retryable=not request.retry_requested, contact_id=request.contact_id,
                       retry_queued=request.retry_requested)
            for request in requests]


def _letters(source: str, pk: int | None = None) -> list[DeadLetter]:
    match = {} if pk is None else {"pk": pk}
    if source == "outbox":
        return _outbox_letters(OutboxOp.objects.filter(state=OutboxOp.State.DEAD, **match))
    if source == "inbox":
        return _inbox_letters(InboxItem.objects.filter(state=InboxItem.State.DEAD, **match))
    if source == "nxt_create":
        return _nxt_create_letters(NxtCreateRequest.objects.filter(
            state=NxtCreateRequest.State.FAILED, **match))
    raise ValueError(f"unknown dead-letter source {source!r}")


def dead_letters_list() -> list[DeadLetter]:
    """Every dead letter, newest first, named by patient where one is known."""
    letters = [letter for source in SOURCES for letter in _letters(source)]
    return sorted(letters, key=lambda letter: letter.at, reverse=True)


def dead_letter_find(*, source: str, pk: int) -> DeadLetter | None:
    """One dead letter as the failures page lists it (None once retried or gone)."""
    return next(iter(_letters(source, pk)), None)
