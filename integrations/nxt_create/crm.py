"""The CRM side of an NXT-Create outcome: NXT Patient ID, tags and one note.

Written after the outcome is committed, under the request's row lock, and only while
`crm_pending` is set: every step is idempotent (field and tags by nature, the note by
its reference line), so a crash or a GoHighLevel error is simply retried.
"""

from __future__ import annotations

import logging

from django.db import transaction

from integrations.engine.events import NOTE_MARK
from integrations.ghl.client import GhlClient
from integrations.models import CrmField, NxtCreateRequest, SyncLog
from integrations.nxt_create import TAG_CREATE, TAG_CREATED, TAG_ERROR
from integrations.nxt_create.validate import ReferralChoice

log = logging.getLogger(__name__)

State = NxtCreateRequest.State


def note_created(*, nextech_id: str, referral: ReferralChoice) -> str:
    return (f"NXT-Create: AX Connect created this patient in Nextech (NXT Patient ID "
            f"{nextech_id}). {referral_said(referral)}")


def referral_said(referral: ReferralChoice) -> str:
    """Which referral source the patient got in Nextech, and why, for the front desk."""
    source = f"CRM source {referral.crm_source!r}"
    if referral.mapped:
        name = referral.mapped_name or f"id {referral.referral_source_id}"
        return f"Referral source: {name} (from the {source})."
    fallback = (f"the practice's default referral source (id {referral.referral_source_id}) "
                "was used" if referral.referral_source_id else "no referral source was set")
    if referral.crm_source:
        return (f"The {source} is not mapped to a Nextech referral source, so {fallback}; "
                "map it under Referral source mappings in the practice admin.")
    return f"The contact has no CRM source, so {fallback}."


def note_linked(*, nextech_id: str) -> str:
    return ("NXT-Create: this patient was already in Nextech, so AX Connect linked the contact "
            f"to the existing patient (NXT Patient ID {nextech_id}); no new patient was created.")


def note_already_linked(*, nextech_id: str) -> str:
    return ("NXT-Create: this contact is already linked to Nextech patient "
            f"{nextech_id}; no new patient was created.")


def note_failed(*, problems: str) -> str:
    lines = "\n".join(f"- {line}" for line in problems.splitlines())
    return ("NXT-Create: the patient was NOT created in Nextech. Please fix the following, "
            f"then add the {TAG_CREATE} tag again:\n{lines}")


def note_marker(request: NxtCreateRequest) -> str:
    return f"({NOTE_MARK} nxt-create:{request.pk}:{request.outcome_seq})"


def outcome_crm_write(*, contact_id: str, ghl: GhlClient) -> bool:
    """Write the pending outcome of this contact's request; False when nothing was pending."""
    with transaction.atomic():
        request = NxtCreateRequest.objects.select_for_update().get(contact_id=contact_id)
        if not request.crm_pending:
            return False
        succeeded = request.state in (State.CREATED, State.LINKED)
        if succeeded:
            field_id = (CrmField.objects.filter(key="nxt_patient_id")
                        .values_list("ghl_field_id", flat=True).first())
            if field_id:
                ghl.contact_update(contact_id=contact_id,
                                   custom_fields={field_id: request.nextech_id})
            else:
                SyncLog.objects.create(kind="nxt_create", level=SyncLog.Level.WARNING,
                                       contact_ref=contact_id, patient_ref=request.nextech_id,
                                       message="NXT Patient ID field is not set up in the CRM")
        marker = note_marker(request)
        if not any(marker in note.body for note in ghl.notes_list(contact_id=contact_id)):
            ghl.note_create(contact_id=contact_id, body=f"{request.crm_note}\n{marker}")
        # NXT-Create goes first, so a contact never shows both "create" and an answer.
        ghl.contact_tags_remove(contact_id=contact_id,
                                tags=[TAG_CREATE, TAG_ERROR] if succeeded else [TAG_CREATE])
        ghl.contact_tags_add(contact_id=contact_id,
                             tags=[TAG_CREATED] if succeeded else [TAG_ERROR])
        request.crm_pending = False
        request.save(update_fields=["crm_pending", "updated_at"])
    log.info("nxt-create outcome written for contact %s", contact_id)
    return True
