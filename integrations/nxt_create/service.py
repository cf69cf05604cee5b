"""One NXT-Create request: check the contact, create or link the patient, answer in the CRM.

Concurrent deliveries for one contact queue on the request row (`select_for_update`),
and the decision re-reads the contact, so a re-delivered or stale webhook finds the tag
gone or the contact linked and does nothing new. Nextech's own duplicate rule covers
the last gap: a crash after the patient was created but before it was recorded leaves
the request pending, and the retry's 409 links the one matching patient.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from django.db import transaction

from integrations.clock import SYSTEM_CLOCK, Clock
from integrations.engine.facts_load import local_date
from integrations.ghl.client import GhlClient
from integrations.ghl.models import Contact
from integrations.http import ApiError, ErrorKind
from integrations.models import KnownPatient, NxtCreateRequest, SyncLog
from integrations.nextech.client import NextechClient
from integrations.nextech.errors import PatientAlreadyExists
from integrations.nextech.patient_create import PatientDraft, PatientValidationError
from integrations.nextech.resources import Patient
from integrations.nxt_create import TAG_CREATE, crm
from integrations.nxt_create.link import duplicates_find, patient_link
from integrations.nxt_create.rules import draft_rules_load
from integrations.nxt_create.validate import contact_draft
from tenants.models import Practice

log = logging.getLogger(__name__)

State = NxtCreateRequest.State
MAX_ATTEMPTS = 5  # transient Nextech failures before staff are told to tag again


class Outcome(StrEnum):
    CREATED = "created"
    LINKED = "linked"
    ALREADY_LINKED = "already_linked"
    FAILED = "failed"
    DEFERRED = "deferred"  # Nextech or the CRM did not answer; retried by the next tick
    STALE = "stale"  # no NXT-Create tag on the contact (any more): nothing to do
    WRITING = "writing"  # an earlier outcome's CRM answer was (re)written


@dataclass(frozen=True)
class Clients:
    nextech: NextechClient
    ghl: GhlClient
    clock: Clock = SYSTEM_CLOCK


def nxt_create_trigger(*, contact_id: str, tagged_at: datetime) -> NxtCreateRequest:
    """Remember that the contact was seen tagged (a first sighting sets `tagged_at`)."""
    request, _ = NxtCreateRequest.objects.get_or_create(contact_id=contact_id,
                                                        defaults={"tagged_at": tagged_at})
    return request


def nxt_create_process(*, practice: Practice, contact_id: str, clients: Clients,
                       tagged_at: datetime | None = None) -> Outcome:
    """Decide this contact's request (at most one Nextech patient), then write the answer."""
    nxt_create_trigger(contact_id=contact_id, tagged_at=tagged_at or clients.clock.now())
    outcome = _decide(practice=practice, contact_id=contact_id, clients=clients,
                      tagged_at=tagged_at)
    if outcome in (Outcome.STALE, Outcome.DEFERRED):
        return outcome
    try:
        written = crm.outcome_crm_write(contact_id=contact_id, ghl=clients.ghl)
    except ApiError as exc:
        # The outcome is recorded; its answer in the CRM is retried by the next tick.
        _log(contact_id, f"CRM answer not written yet: {exc.kind}", status="deferred",
             level=SyncLog.Level.WARNING)
        return Outcome.DEFERRED
    if outcome is Outcome.WRITING and not written:
        return Outcome.STALE  # another worker finished this request meanwhile
    return outcome


def nxt_create_retry(*, request_ids: list[int]) -> int:
    """Staff's "Retry" on failed requests: tried again by the next tick, tag or not."""
    return (NxtCreateRequest.objects.filter(pk__in=request_ids, state=State.FAILED)
            .update(retry_requested=True))


def _log(contact_id: str, message: str, *, status: str, patient_id: str = "",
         level: str = SyncLog.Level.INFO) -> None:
    # Ids and counts only: problems name the patient's own data. `status` is the outcome
    # staff filter the portal's activity by.
    SyncLog.objects.create(kind="nxt_create", level=level, contact_ref=contact_id,
                           patient_ref=patient_id, message=f"NXT-Create: {message}"[:500],
                           details={"resource": "nxt_create", "status": status})


def _decide(*, practice: Practice, contact_id: str, clients: Clients,
            tagged_at: datetime | None) -> Outcome:
    with transaction.atomic():
        request = NxtCreateRequest.objects.select_for_update().get(contact_id=contact_id)
        if request.crm_pending:
            return Outcome.WRITING
        try:
            contact = clients.ghl.contact_get(contact_id=contact_id)
        except ApiError as exc:
            if exc.kind is not ErrorKind.RECORD:
                return _deferred(request, exc, clients=clients)
            request.delete()  # the contact is gone from the CRM: nothing to create
            return Outcome.STALE
        if TAG_CREATE not in contact.tags and not request.retry_requested:
            if request.state == State.PENDING:
                request.delete()  # the tag was taken off before AX Connect acted on it
            return Outcome.STALE
        linked = (KnownPatient.objects.filter(contact_id=contact_id)
                  .values_list("nextech_id", flat=True).first())
        if linked:
            # Keep how the link came about (and its timings); only answer the new tag.
            resolved = request.state in (State.CREATED, State.LINKED)
            return _resolved(request, state=request.state if resolved else State.LINKED,
                             nextech_id=linked, note=crm.note_already_linked(nextech_id=linked),
                             outcome=Outcome.ALREADY_LINKED, clients=clients)
        if request.state != State.PENDING:  # a new round: re-tagged, or staff's retry
            request.state, request.attempts, request.problems = State.PENDING, 0, ""
            request.tagged_at = tagged_at or clients.clock.now()
        return _attempt(request, practice=practice, contact=contact, clients=clients)


def _attempt(request: NxtCreateRequest, *, practice: Practice, contact: Contact,
             clients: Clients) -> Outcome:
    request.contact_name = " ".join(
        part for part in (contact.first_name, contact.last_name) if part)[:200]
    rules = draft_rules_load(practice=practice, ghl=clients.ghl, flavor=clients.nextech.flavor)
    today = local_date(clients.clock.now(), practice.time_zone)
    result = contact_draft(contact=contact, rules=rules, today=today)
    if result.problems:
        return _failed(request, problems=result.problems, clients=clients)
    request.attempts += 1
    try:
        patient, state = _patient_create_or_find(clients.nextech, result.draft)
    except _NoSingleMatch as exc:
        return _failed(request, problems=(str(exc),), clients=clients)
    except PatientValidationError as exc:
        return _failed(request, problems=tuple(f"{k} {v}" for k, v in exc.problems.items()),
                       clients=clients)
    except ApiError as exc:
        if exc.kind is ErrorKind.RECORD:
            return _failed(request, problems=(f"Nextech refused the patient: {exc.detail}",),
                           clients=clients)
        return _deferred(request, exc, clients=clients)
    conflict = patient_link(patient=patient, contact_id=request.contact_id,
                            region=practice.country, now=clients.clock.now())
    if conflict:
        return _failed(request, problems=(conflict,), clients=clients)
    if state == State.CREATED:
        note = crm.note_created(nextech_id=patient.id, referral=result.referral)
        outcome = Outcome.CREATED
    else:
        note, outcome = crm.note_linked(nextech_id=patient.id), Outcome.LINKED
    return _resolved(request, state=state, nextech_id=patient.id, note=note, outcome=outcome,
                     clients=clients)


class _NoSingleMatch(Exception):
    """Nextech has the patient already, but not exactly one patient matches."""


def _patient_create_or_find(nextech: NextechClient, draft: PatientDraft) -> tuple[Patient, str]:
    try:
        return nextech.patient_create(draft=draft), State.CREATED
    except PatientAlreadyExists:
        matches = duplicates_find(nextech=nextech, draft=draft)
    if len(matches) == 1:
        return matches[0], State.LINKED
    if matches:
        raise _NoSingleMatch(f"{len(matches)} patients in Nextech match this contact; "
                             "link by hand")
    raise _NoSingleMatch("Nextech says this patient already exists, but AX Connect could not "
                         "find them by name and date of birth, or by email and phone; "
                         "link by hand")


def _resolved(request: NxtCreateRequest, *, state: str, nextech_id: str, note: str,
              outcome: Outcome, clients: Clients) -> Outcome:
    request.state, request.nextech_id, request.problems = state, nextech_id, ""
    request.created_at = request.created_at or clients.clock.now()
    request.last_error = ""
    _outcome_save(request, note=note)
    _log(request.contact_id, outcome.value.replace("_", " "), patient_id=nextech_id,
         status=outcome.value.replace("_", " "))
    return outcome


def _failed(request: NxtCreateRequest, *, problems: tuple[str, ...],
            clients: Clients) -> Outcome:
    request.state, request.problems = State.FAILED, "\n".join(problems)
    request.failed_at = clients.clock.now()
    _outcome_save(request, note=crm.note_failed(problems=request.problems))
    _log(request.contact_id, f"not created, {len(problems)} problem(s) for staff", status="failed",
         level=SyncLog.Level.WARNING)
    return Outcome.FAILED


def _outcome_save(request: NxtCreateRequest, *, note: str) -> None:
    request.crm_pending, request.crm_note = True, note
    request.retry_requested = False
    request.outcome_seq += 1
    request.save()


def _deferred(request: NxtCreateRequest, exc: ApiError, *, clients: Clients) -> Outcome:
    if request.state != State.PENDING:
        return Outcome.DEFERRED  # a settled request stays as it was; the search retries
    request.last_error = f"{exc.system} {exc.status or ''} ({exc.kind})"[:500]
    if request.attempts >= MAX_ATTEMPTS:
        request.state = State.FAILED
        request.problems = (f"Nextech could not be reached after {request.attempts} tries; "
                            f"add the {TAG_CREATE} tag again later")
        request.failed_at = clients.clock.now()
        _outcome_save(request, note=crm.note_failed(problems=request.problems))
        _log(request.contact_id, "given up after repeated Nextech errors", status="failed",
             level=SyncLog.Level.ERROR)
        return Outcome.FAILED
    request.save()
    _log(request.contact_id, f"deferred: {request.last_error}", status="deferred",
         level=SyncLog.Level.WARNING)
    return Outcome.DEFERRED
