"""Write: send queued operations to GoHighLevel, in order per patient, each at most once.

An operation is marked attempted (committed) before it is sent. After a crash, an
attempted note is looked for in the contact's notes by its reference, and an attempted
workflow enrolment in the contact's record of enrolments (enrolment_record), before it
is sent again; every other operation is idempotent by nature (upsert, set stage, add tag).

A sent operation is marked done in the same statement that marks the next one attempted
(or at the end of the drain): one write per operation instead of two. A crash in between
leaves it attempted and not done, as a crash right after its call always could.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cached_property
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.db.models import Field, Q

from integrations.categories import Stage
from integrations.clock import Clock
from integrations.engine.crashpoints import crashpoint
from integrations.engine.enrolment_record import enrolment_ref, enrolment_refs, enrolments_value
from integrations.engine.events import NOTE_MARK
from integrations.ghl.client import ContactInput, GhlClient
from integrations.ghl.fields import ALL_FIELDS, ENROLMENTS_FIELD
from integrations.http import ApiError, ErrorKind
from integrations.models import CrmField, KnownPatient, OutboxOp, StageMapping, SyncLog
from integrations.onboarding.crm import crm_fields_setup

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6


class WritesPaused(Exception):
    """GoHighLevel refused further writes for now (daily limit): stop draining this tick."""


@dataclass
class DrainResult:
    sent: int = 0
    dead: int = 0
    deferred: int = 0
    calls_before: int = 0
    errors: list[str] = field(default_factory=list)


class NeedsStaff(Exception):
    """Something only staff can fix stands in the way (a missing stage mapping, a CRM
    contact that cannot be told apart from another patient's): dead-letter, say why."""


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 30 * 2 ** (attempts - 1)))


class OutboxSender:
    """Turns one operation into GoHighLevel calls."""

    def __init__(self, *, client: GhlClient,
                 patients: Mapping[str, KnownPatient] | None = None) -> None:
        self.client = client
        self._patients: dict[str, KnownPatient] = dict(patients or {})  # see _patient
        self._contacts_created: set[str] = set()  # patients whose contact this drain created
        self._enrolled: dict[str, list[str]] = {}  # see _enrolments

    # Read on the first send that needs them: a drain with nothing due reads neither.
    @cached_property
    def field_ids(self) -> dict[str, str]:
        return dict(CrmField.objects.values_list("key", "ghl_field_id"))

    @cached_property
    def stages(self) -> dict[str, StageMapping]:
        return {m.canonical_stage: m for m in StageMapping.objects.all()}

    def _patient(self, op: OutboxOp) -> KnownPatient:
        # One read per patient per drain, none for a patient the tick has just decided
        # (their row as deciding left it); the handlers below keep the cached row current.
        patient = self._patients.get(op.patient_id)
        if patient is None:
            patient = KnownPatient.objects.get(nextech_id=op.patient_id)
            self._patients[op.patient_id] = patient
        return patient

    def _contact_id(self, op: OutboxOp) -> str:
        contact_id = self._patient(op).contact_id
        if not contact_id:
            raise NeedsStaff("the contact has not been created in the CRM yet")
        return contact_id

    def _shared_identifiers(self, op: OutboxOp, core: dict[str, str]) -> set[str]:
        """Identifiers another patient also has (spouses share phones, families emails)."""
        mine = {k: core[k] for k in ("email", "phone") if core.get(k)}
        if not mine:
            return set()
        match = Q()
        for identifier, value in mine.items():
            match |= Q(**{identifier: value})
        others = KnownPatient.objects.exclude(nextech_id=op.patient_id).filter(match)
        return {identifier for row in others.values_list("email", "phone")
                for identifier, value in zip(("email", "phone"), row, strict=True)
                if mine.get(identifier) == value}

    def _fields_ensure(self, fields: dict[str, str]) -> None:
        """Create the fields a release added (e.g. the NXT time fields) in a practice set
        up before it, once, instead of dead-lettering every contact until set-up is re-run."""
        missing = sorted(k for k in fields if k not in self.field_ids)
        known = [d for d in ALL_FIELDS if d.key in missing]
        if known:
            stored = crm_fields_setup(client=self.client, definitions=known)
            self.field_ids.update({k: f.ghl_field_id for k, f in stored.items()})
            missing = sorted(k for k in fields if k not in self.field_ids)
        if missing:
            raise NeedsStaff(f"CRM custom fields not set up: {', '.join(missing)}")

    def contact_upsert(self, op: OutboxOp) -> dict[str, Any]:
        core, fields = dict(op.payload["core"]), op.payload["fields"]
        self._fields_ensure(fields)
        patient = self._patient(op)
        if not patient.contact_id:
            # GoHighLevel's upsert matches on email or phone: a shared one would write this
            # patient over someone else's contact. Match only on what is this patient's own.
            for identifier in self._shared_identifiers(op, core):
                core.pop(identifier)
            if not (core.get("email") or core.get("phone")):
                raise NeedsStaff(
                    "this patient's email and phone both belong to other "
                    "patients too; link the CRM contact by hand"
                )
        birth = core.get("dateOfBirth")
        contact = ContactInput(
            email=core.get("email") or None,
            phone=core.get("phone") or None,
            first_name=core.get("firstName") or None,
            last_name=core.get("lastName") or None,
            date_of_birth=date.fromisoformat(birth) if birth else None,
            assigned_to=op.payload.get("assigned_user_id") or None,
            custom_fields={self.field_ids[k]: v for k, v in fields.items()},
        )
        if patient.contact_id:
            self.client.contact_replace(contact_id=patient.contact_id, contact=contact)
            return {"contact_id": patient.contact_id, "created": False}
        result = self.client.contact_upsert(contact=contact)
        linked = (
            KnownPatient.objects.filter(contact_id=result.contact.id)
            .exclude(nextech_id=op.patient_id)
            .first()
        )
        if linked is not None:
            raise NeedsStaff(
                f"GoHighLevel matched this patient to the contact of patient "
                f"{linked.nextech_id}; link the CRM contact by hand"
            )
        KnownPatient.objects.filter(nextech_id=op.patient_id).update(contact_id=result.contact.id)
        patient.contact_id = result.contact.id
        if result.created:
            self._contacts_created.add(op.patient_id)
        return {"contact_id": result.contact.id, "created": result.created}

    def note_add(self, op: OutboxOp) -> dict[str, Any]:
        contact_id = self._contact_id(op)
        if op.attempts > 1:
            # It may have been sent before a crash: the reference line tells.
            marker = f"({NOTE_MARK} {op.key.removeprefix('note:')})"
            for note in self.client.notes_list(contact_id=contact_id):
                if marker in note.body:
                    return {"note_id": note.id, "recovered": True}
        note = self.client.note_create(contact_id=contact_id, body=op.payload["body"])
        return {"note_id": note.id}

    def tags_add(self, op: OutboxOp) -> dict[str, Any]:
        self.client.contact_tags_add(contact_id=self._contact_id(op), tags=op.payload["tags"])
        return {}

    def tags_remove(self, op: OutboxOp) -> dict[str, Any]:
        self.client.contact_tags_remove(contact_id=self._contact_id(op), tags=op.payload["tags"])
        return {}

    def _enrolments(self, patient_id: str) -> list[str]:
        """References of the patient's enrolments sent so far (see enrolment_record);
        read once per patient per drain, then kept current here."""
        refs = self._enrolled.get(patient_id)
        if refs is None:
            keys = OutboxOp.objects.filter(patient_id=patient_id, kind="workflow_enrol",
                                           state=OutboxOp.State.DONE).values_list("key",
                                                                                  flat=True)
            refs = self._enrolled[patient_id] = [enrolment_ref(key) for key in keys]
        return refs

    def workflow_enrol(self, op: OutboxOp) -> dict[str, Any]:
        contact_id = self._contact_id(op)
        field_id = self.field_ids.get(ENROLMENTS_FIELD)
        ref = enrolment_ref(op.key)
        if field_id and op.attempts > 1:
            # It may have been sent before a crash: the contact's record of enrolments tells.
            contact = self.client.contact_get(contact_id=contact_id)
            if ref in enrolment_refs(contact.custom_fields.get(field_id)):
                if op.patient_id in self._enrolled:
                    self._enrolled[op.patient_id].append(ref)
                return {"recovered": True}
        self.client.contact_workflow_add(contact_id=contact_id,
                                         workflow_id=op.payload["workflow_id"])
        if not field_id:
            return {"recorded": False}  # the CRM set-up predates the field: run it again
        refs = self._enrolments(op.patient_id)
        refs.append(ref)
        try:
            self.client.contact_update(contact_id=contact_id,
                                       custom_fields={field_id: enrolments_value(refs)})
        except ApiError as exc:
            # The enrolment itself went out: retrying it would enrol twice. Only a crash
            # before the next write of the record could still miss it.
            log.warning("enrolment not recorded on the contact: %s", exc.kind)
            return {"recorded": False}
        return {"ref": ref}

    def _contact_created_here(self, op: OutboxOp) -> bool:
        """The contact is one this engine created, and this is the operation's first try.

        Such a contact has no opportunity to adopt, so the search (one CRM call per new
        contact) is skipped. A retry searches anyway: a crash may have come after the
        create and before its id was stored.
        """
        if op.attempts != 1:
            return False
        if op.patient_id not in self._contacts_created:
            # Filtered here rather than in SQL, so the query always goes by the patient's
            # index: a filter on state lets the planner walk every operation ever sent.
            upserts = OutboxOp.objects.filter(patient_id=op.patient_id, kind="contact_upsert")
            if not any(state == OutboxOp.State.DONE and result.get("created") is True
                       for state, result in upserts.values_list("state", "result")):
                return False
            self._contacts_created.add(op.patient_id)
        return True

    def opportunity_upsert(self, op: OutboxOp) -> dict[str, Any]:
        contact_id = self._contact_id(op)
        stage = Stage(op.payload["stage"])
        mapping = self.stages.get(stage.value)
        if mapping is None:
            raise NeedsStaff(f"no GoHighLevel stage is mapped for {stage.label}")
        patient = self._patient(op)
        pipeline = op.payload["pipeline"]
        value = op.payload.get("value")
        monetary = float(Decimal(value)) if value is not None else None
        opportunity_id = patient.opportunity_ids.get(pipeline)
        if not opportunity_id and not self._contact_created_here(op):
            # One opportunity per contact per pipeline: adopt one that exists.
            found = next(
                iter(
                    self.client.opportunities_search(
                        contact_id=contact_id, pipeline_id=mapping.ghl_pipeline_id
                    )
                ),
                None,
            )
            opportunity_id = found.id if found else None
        if opportunity_id:
            self.client.opportunity_update(
                opportunity_id=opportunity_id,
                pipeline_id=mapping.ghl_pipeline_id,
                stage_id=mapping.ghl_stage_id,
                status=op.payload["status"],
                monetary_value=monetary,
            )
        else:
            created = self.client.opportunity_create(
                contact_id=contact_id,
                pipeline_id=mapping.ghl_pipeline_id,
                stage_id=mapping.ghl_stage_id,
                name=op.payload["name"],
                status=op.payload["status"],
                monetary_value=monetary,
            )
            opportunity_id = created.id
        if patient.opportunity_ids.get(pipeline) != opportunity_id:
            patient.opportunity_ids = {**patient.opportunity_ids, pipeline: opportunity_id}
            patient.save(update_fields=["opportunity_ids"])
        return {"opportunity_id": opportunity_id}

    def send(self, op: OutboxOp) -> dict[str, Any]:
        handler: Callable[[OutboxOp], dict[str, Any]] = getattr(self, op.kind)
        return handler(op)


def _record_failure(op: OutboxOp, *, reason: str, dead: bool, now: datetime) -> None:
    op.last_error = reason[:500]
    if dead:
        op.state = OutboxOp.State.DEAD
        SyncLog.objects.create(
            kind="dead_letter",
            level=SyncLog.Level.ERROR,
            message=f"{op.kind} failed: {reason}"[:500],
            patient_ref=op.patient_id,
            details={"op": op.pk},
        )
    else:
        op.next_attempt_at = now + _backoff(op.attempts)
    op.save(update_fields=["state", "last_error", "next_attempt_at"])


def _failed(op: OutboxOp, *, reason: str, dead: bool, now: datetime, result: DrainResult,
            blocked: set[str]) -> None:
    """An attempt that failed: recorded, and the patient's later operations wait (in order)."""
    _record_failure(op, reason=reason, dead=dead, now=now)
    blocked.add(op.patient_id)
    result.dead += int(dead)
    result.deferred += int(not dead)


# One statement for two rows (each CASE touches only its own row). The ORM's Case/When
# builds the same statement at several times the CPU cost of sending it.
_MARK_SQL = """
UPDATE {table} SET
    attempts = CASE WHEN id = %(attempted)s THEN %(attempts)s ELSE attempts END,
    state = CASE WHEN id = %(sent)s THEN %(state)s ELSE state END,
    done_at = CASE WHEN id = %(sent)s THEN %(done_at)s ELSE done_at END,
    result = CASE WHEN id = %(sent)s THEN %(result)s ELSE result END,
    last_error = CASE WHEN id = %(sent)s THEN %(last_error)s ELSE last_error END
WHERE id IN (%(attempted)s, %(sent)s)
"""


def _ops_mark(*, attempted: OutboxOp | None = None, sent: OutboxOp | None = None) -> None:
    """In one statement: `attempted`'s attempt count and `sent`'s outcome (done)."""
    if attempted is None and sent is None:
        return
    result_field = OutboxOp._meta.get_field("result")
    assert isinstance(result_field, Field)
    with connection.cursor() as cursor:
        cursor.execute(_MARK_SQL.format(table=connection.ops.quote_name(OutboxOp._meta.db_table)), {
            "attempted": attempted.pk if attempted else None,
            "attempts": attempted.attempts if attempted else None,
            "sent": sent.pk if sent else None,
            "state": sent.state if sent else None,
            "done_at": sent.done_at if sent else None,
            "result": result_field.get_db_prep_value(sent.result if sent else None, connection),
            "last_error": sent.last_error if sent else None,
        })


def outbox_drain(*, client: GhlClient, clock: Clock, budget_seconds: float | None = None,
                 patients: Mapping[str, KnownPatient] | None = None) -> DrainResult:
    """Send what is due, for at most `budget_seconds` (the rest goes next tick, so a tick
    never outlives the queue's timeout). A config error (credentials) propagates: the
    practice stops. `patients`: rows of patients already read this tick, by Nextech id."""
    if budget_seconds is None:
        budget_seconds = settings.AXC_TICK_BUDGET_SECONDS * 2 / 3
    deadline = clock.monotonic() + budget_seconds
    result = DrainResult(calls_before=client.calls)
    sender = OutboxSender(client=client, patients=patients)
    now = clock.now()
    blocked: set[str] = set()  # a patient whose earlier operation failed waits, in order
    sent: OutboxOp | None = None  # sent, marked done with the next write (see module doc)
    due = OutboxOp.objects.filter(state=OutboxOp.State.PENDING).order_by("id")
    try:
        for op in due.iterator():
            if op.patient_id in blocked:
                continue
            if op.next_attempt_at and op.next_attempt_at > now:
                blocked.add(op.patient_id)
                result.deferred += 1
                continue
            if clock.monotonic() >= deadline:
                result.deferred += 1
                break
            op.attempts += 1
            _ops_mark(attempted=op, sent=sent)  # committed before the call: see module doc
            sent = None
            crashpoint("drain.op_attempted")
            try:
                outcome = sender.send(op)
                crashpoint("drain.op_sent", op.kind)
            except NeedsStaff as exc:
                _failed(op, reason=str(exc), dead=True, now=now, result=result, blocked=blocked)
                continue
            except ApiError as exc:
                if exc.kind is ErrorKind.CONFIG:
                    op.attempts -= 1  # not the operation's fault
                    op.save(update_fields=["attempts"])
                    raise
                if exc.kind is ErrorKind.RATE_LIMITED and getattr(exc, "resets_at", None):
                    _record_failure(op, reason=str(exc), dead=False, now=now)
                    raise WritesPaused(str(exc)) from exc
                dead = exc.kind is ErrorKind.RECORD or op.attempts >= MAX_ATTEMPTS
                _failed(op, reason=str(exc), dead=dead, now=now, result=result, blocked=blocked)
                continue
            except (OperationalError, InterfaceError):
                raise  # the database, not the operation: the tick records it and stops
            except Exception as exc:
                # Anything else is this operation's own (a payload this code cannot send:
                # ValueError, KeyError, ...). It is an attempt like any failed call, so it
                # dead-letters in the end instead of failing every tick, and the patients
                # behind it in the queue are not held up.
                log.warning("%s failed: %s", op.kind, type(exc).__name__)  # no payload: PHI
                _failed(op, reason=f"{type(exc).__name__}: {exc}",
                        dead=op.attempts >= MAX_ATTEMPTS, now=now, result=result,
                        blocked=blocked)
                continue
            op.state, op.done_at, op.result, op.last_error = (OutboxOp.State.DONE, now, outcome, "")
            sent = op
            result.sent += 1
    finally:
        if sent is not None:
            _ops_mark(sent=sent)
    return result
