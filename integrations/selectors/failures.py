"""Dead letters, explained in front-desk words, for the portal's failures page."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from integrations.models import InboxItem, KnownPatient, NxtCreateRequest, OutboxOp

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
    source: str  # "inbox" (from Nextech) or "outbox" (to the CRM)
    pk: int
    at: datetime
    what: str
    patient_ref: str
    patient_name: str
    explanation: str
    technical: str  # the reason as recorded, for the agency
    retryable: bool


def _names(patient_ids: set[str]) -> dict[str, str]:
    rows = KnownPatient.objects.filter(nextech_id__in=patient_ids)
    return {p.nextech_id: f"{p.given} {p.family}".strip() for p in rows}


def dead_letters_list() -> list[DeadLetter]:
    """Every dead letter, newest first."""
    ops = list(OutboxOp.objects.filter(state=OutboxOp.State.DEAD))
    items = list(InboxItem.objects.filter(state=InboxItem.State.DEAD))
    names = _names({op.patient_id for op in ops})
    letters = [
        DeadLetter("outbox", op.pk, op.created_at, WHAT_FAILED.get(op.kind, op.kind),
                   op.patient_id, names.get(op.patient_id, ""), failure_explain(op.last_error),
                   op.last_error, retryable=True)
        for op in ops
    ]
    letters.extend(
        DeadLetter("inbox", item.pk, item.received_at,
                   f"Reading a {item.resource.lower()} change from Nextech", "", "",
                   failure_explain(item.error), item.error,
                   # An unreadable record carries nothing to decide again (inbox_replay).
                   retryable=bool(item.payload))
        for item in items
    )
    letters.extend(
        DeadLetter("nxt_create", request.pk, request.failed_at or request.updated_at,
                   "Creating the patient in Nextech (NXT-Create)",
                   f"CRM contact {request.contact_id}", "",
                   "Fix the contact in Aesthetix CRM, then retry: "
                   + "; ".join(request.problems.splitlines()),
                   request.problems or request.last_error, retryable=True)
        for request in NxtCreateRequest.objects.filter(state=NxtCreateRequest.State.FAILED)
    )
    return sorted(letters, key=lambda letter: letter.at, reverse=True)
