"""The portal's activity list: every recent event (appointment, payment, NXT-Create) with
its status, the patient, which CRM fields it changed from what to what, and the stage move.

Sync-log rows say what happened and when it happened in Nextech; the values written are
read from the outbox, where the write that carried them keeps them (they are PHI and stay
out of the sync log).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce
from django.db.models.lookups import GreaterThanOrEqual, LessThan

from integrations.categories import PIPELINE_LABELS, Stage
from integrations.models import CrmField, KnownPatient, NxtCreateRequest, OutboxOp, SyncLog
from integrations.selectors.activity import patient_search

ACTIVITY_LIMIT = 100
EVENT_KINDS = ("event", "nxt_create")
RESOURCE_LABELS = {"appointment": "Appointment", "payment": "Payment",
                   "nxt_create": "NXT-Create"}
CORE_FIELD_LABELS = {"firstName": "First name", "lastName": "Last name", "email": "Email",
                     "phone": "Phone", "dateOfBirth": "Date of birth",
                     "assigned_user_id": "Assigned user"}


@dataclass(frozen=True)
class FieldChange:
    label: str
    before: str  # empty: the field had no value from AX Connect before
    after: str  # empty: cleared


@dataclass(frozen=True)
class StageMove:
    pipeline: str
    before: str  # empty: the contact had no opportunity in this pipeline
    after: str


@dataclass(frozen=True)
class ActivityRow:
    at: datetime  # when it happened in Nextech (when AX Connect acted, for NXT-Create)
    resource: str  # Appointment, Payment or NXT-Create
    status: str
    summary: str
    patient_ref: str
    patient_name: str
    contact_id: str
    needs_review: bool
    writes: str  # "sent", "waiting", "failed" or "" when the event changed no field or stage
    changes: list[FieldChange] = field(default_factory=list)
    stage_moves: list[StageMove] = field(default_factory=list)


@dataclass(frozen=True)
class ActivityFilter:
    status: str = ""  # "<resource>:<status>", as `activity_statuses` offers them
    day_from: date | None = None  # in the practice's time zone, inclusive
    day_to: date | None = None
    patient: str = ""  # what patient_search takes: name, email, phone or NXT Patient ID


def _happened() -> Coalesce:
    return Coalesce("occurred_at", "created_at")


def _events() -> QuerySet[SyncLog]:
    return SyncLog.objects.filter(kind__in=EVENT_KINDS).annotate(at=_happened())


def activity_statuses() -> list[tuple[str, str]]:
    """The statuses recent events have, as (filter value, label)."""
    pairs = (_events().exclude(details__status=None)
             .values_list("details__resource", "details__status").distinct())
    found = {(str(resource), str(status)) for resource, status in pairs if status}
    return sorted((f"{resource}:{status}", f"{RESOURCE_LABELS.get(resource, resource)}: {status}")
                  for resource, status in found)


def _patient_match(query: str) -> Q:
    patients = list(patient_search(query=query))
    contacts = {p.contact_id for p in patients if p.contact_id}
    # A failed NXT-Create has no Nextech patient: its contact's name is all there is.
    contacts |= set(NxtCreateRequest.objects.filter(contact_name__icontains=query.strip())
                    .values_list("contact_id", flat=True))
    return Q(patient_ref__in=[p.nextech_id for p in patients]) | Q(contact_ref__in=contacts)


def _filtered(filters: ActivityFilter, zone: ZoneInfo) -> QuerySet[SyncLog]:
    rows = _events()
    if filters.status:
        resource, _, status = filters.status.partition(":")
        rows = rows.filter(details__resource=resource, details__status=status)
    if filters.day_from:
        rows = rows.filter(GreaterThanOrEqual(
            _happened(), datetime.combine(filters.day_from, time.min, zone)))
    if filters.day_to:
        rows = rows.filter(LessThan(
            _happened(), datetime.combine(filters.day_to + timedelta(days=1), time.min, zone)))
    if filters.patient.strip():
        rows = rows.filter(_patient_match(filters.patient))
    return rows.order_by("-at", "-id")


def _changes(op: OutboxOp | None, labels: dict[str, str]) -> list[FieldChange]:
    if op is None or op.kind != "contact_upsert":
        return []
    return [FieldChange(labels.get(c["field"], c["field"]), c["from"], c["to"])
            for c in op.payload.get("changes", [])]


def _stage_move(op: OutboxOp) -> StageMove | None:
    stage = op.payload.get("stage", "")
    if op.kind != "opportunity_upsert" or stage not in Stage._value2member_map_:
        return None
    before = op.payload.get("from_stage") or ""
    return StageMove(PIPELINE_LABELS[Stage(stage).pipeline],
                     Stage(before).label if before in Stage._value2member_map_ else "",
                     Stage(stage).label)


def _writes_state(ops: list[OutboxOp]) -> str:
    states = {op.state for op in ops}
    if OutboxOp.State.DEAD in states:
        return "failed"
    if OutboxOp.State.PENDING in states:
        return "waiting"
    return "sent" if ops else ""


def _names(rows: list[SyncLog]) -> tuple[dict[str, str], dict[str, str]]:
    """Patient names by NXT Patient ID, and by CRM contact for NXT-Create rows."""
    patients = KnownPatient.objects.filter(
        Q(nextech_id__in={r.patient_ref for r in rows if r.patient_ref})
        | Q(contact_id__in={r.contact_ref for r in rows if r.contact_ref}))
    by_patient = {p.nextech_id: f"{p.given} {p.family}".strip() for p in patients}
    by_contact = {p.contact_id: f"{p.given} {p.family}".strip() for p in patients if p.contact_id}
    for contact_id, name in NxtCreateRequest.objects.filter(
            contact_id__in={r.contact_ref for r in rows if r.contact_ref}).exclude(
            contact_name="").values_list("contact_id", "contact_name"):
        by_contact.setdefault(contact_id, name)
    return by_patient, by_contact


def _row(log: Any, ops: list[OutboxOp], labels: dict[str, str],
         names: tuple[dict[str, str], dict[str, str]]) -> ActivityRow:
    details = log.details or {}
    resource = details.get("resource") or ("nxt_create" if log.kind == "nxt_create" else "")
    by_patient, by_contact = names
    name = by_patient.get(log.patient_ref) or by_contact.get(log.contact_ref, "")
    contact_op = next((op for op in ops if op.kind == "contact_upsert"), None)
    return ActivityRow(
        at=log.at, resource=RESOURCE_LABELS.get(resource, "Event"),
        status=str(details.get("status", "")), summary=log.message,
        patient_ref=log.patient_ref, patient_name=name, contact_id=log.contact_ref,
        needs_review=log.level != SyncLog.Level.INFO, writes=_writes_state(ops),
        changes=_changes(contact_op, labels),
        stage_moves=[move for op in ops if (move := _stage_move(op)) is not None])


def activity_list(*, filters: ActivityFilter, time_zone: str,
                  limit: int = ACTIVITY_LIMIT) -> list[ActivityRow]:
    """The newest `limit` events matching `filters`, by when they happened."""
    rows = list(_filtered(filters, ZoneInfo(time_zone))[:limit])
    keys = {key for row in rows for key in (row.details or {}).get("writes", [])}
    ops = {op.key: op for op in OutboxOp.objects.filter(key__in=keys)} if keys else {}
    labels = {**CORE_FIELD_LABELS, **dict(CrmField.objects.values_list("key", "name"))}
    names = _names(rows)
    return [_row(row, [ops[k] for k in (row.details or {}).get("writes", []) if k in ops],
                 labels, names)
            for row in rows]
