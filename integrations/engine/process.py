"""Decide: turn new inbox rows into local state and outbox operations, one patient at a
time, each patient in one transaction (state, snapshot, operations and the inbox rows
marked done commit together or not at all)."""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import Any

from django.conf import settings
from django.db import transaction

from integrations.engine.apply import (
    Event,
    PatientUnknown,
    appointment_types_ensure,
    patient_records_apply,
)
from integrations.engine.crashpoints import crashpoint
from integrations.engine.desired import contact_desired
from integrations.engine.events import (
    PAYMENT_NOTE_HEAD,
    appointment_enrolments,
    appointment_event_key,
    appointment_note,
    payment_enrolments,
    payment_note_plan,
)
from integrations.engine.facts import Rules, StatusClass
from integrations.engine.facts_load import appointment_fact, patient_fact, payment_fact
from integrations.engine.plan import PlannedOp, contact_plan
from integrations.engine.records import record_decode
from integrations.engine.stages import stage_of
from integrations.models import ContactSnapshot, InboxItem, KnownPatient, OutboxOp, SyncLog
from integrations.nextech.resources import Appointment, Patient, PaymentReconciliation

log = logging.getLogger(__name__)

RECORD_TYPES: dict[str, type] = {
    "Appointment": Appointment,
    "Patient": Patient,
    "PaymentReconciliation": PaymentReconciliation,
}


@dataclass
class ProcessResult:
    events: int = 0
    patients: int = 0
    operations: int = 0
    dead: int = 0
    skipped_blocks: int = 0
    deferred_patients: int = 0  # left for the next tick by the time budget
    errors: list[str] = field(default_factory=list)
    # Each decided patient's row as the tick left it, for the drain: read once a tick.
    patient_rows: dict[str, KnownPatient] = field(default_factory=dict)


@dataclass(frozen=True)
class Context:
    rules_source: Callable[[], Rules]  # e.g. `lambda: rules_load(practice)`
    time_zone: str
    region: str
    today: date
    now: datetime
    tick_id: Any

    @cached_property
    def rules(self) -> Rules:
        """Read when the first patient needs them, once: a tick with nothing new to
        process reads no rules (categories, automations, routing) at all."""
        return self.rules_source()


def _patient_of(item: InboxItem, record: Any) -> str:
    if item.resource == "Patient":
        return str(record.id)
    ref = record.patient
    return str(ref.id) if ref is not None and ref.id else ""


def _dead(item: InboxItem, reason: str, result: ProcessResult) -> None:
    item.state, item.error = InboxItem.State.DEAD, reason[:500]
    item.save(update_fields=["state", "error"])
    result.dead += 1


def inbox_group(result: ProcessResult) -> dict[str, list[tuple[InboxItem, Any]]]:
    """New inbox rows grouped by patient, each group in lastUpdated order."""
    groups: dict[str, list[tuple[InboxItem, Any]]] = defaultdict(list)
    blocks: list[int] = []
    pending = InboxItem.objects.filter(state=InboxItem.State.NEW).order_by("last_updated", "id")
    for item in pending:
        try:
            record: Any = record_decode(RECORD_TYPES[item.resource], item.payload)
        except (KeyError, TypeError, ValueError) as exc:
            _dead(item, f"unreadable inbox record: {exc}", result)
            continue
        patient_id = _patient_of(item, record)
        if not patient_id:
            if item.resource == "Appointment":
                # A block or meeting: on the schedule, but nobody's CRM contact.
                blocks.append(item.pk)
            else:
                _dead(item, f"{item.resource} {item.external_id} names no patient", result)
            continue
        groups[patient_id].append((item, record))
    if blocks:
        InboxItem.objects.filter(pk__in=blocks).update(state=InboxItem.State.DONE)
        result.skipped_blocks += len(blocks)
    return groups


def _event_ops(event: Event, ctx: Context, snapshot: dict[str, Any],
               payments_noted: set[str]) -> list[PlannedOp]:
    """The note and enrolments of one event. `payments_noted`: see `payment_note_plan`."""
    ops: list[PlannedOp] = []
    if event.appointment is not None:
        visit = event.appointment
        key = appointment_event_key(visit)
        ops.append(
            PlannedOp(
                key=f"note:{key}",
                kind="note_add",
                payload={"body": appointment_note(visit, ctx.rules, key=key)},
            )
        )
        enrolments = appointment_enrolments(visit, ctx.rules, key=key)
        if visit.status_class is StatusClass.FULFILLED and ctx.rules.review_workflow_id:
            last = snapshot.get("review_requested_for")
            if (
                last is None
                or (visit.date - date.fromisoformat(last)).days >= ctx.rules.review_cooldown_days
            ):
                snapshot["review_requested_for"] = visit.date.isoformat()
                ops.append(
                    PlannedOp(
                        key=f"review:{key}",
                        kind="workflow_enrol",
                        payload={"workflow_id": ctx.rules.review_workflow_id},
                    )
                )
    else:
        assert event.payment is not None
        if not ctx.rules.payments_enabled:
            return []
        planned = payment_note_plan(event.payment, noted=payments_noted)
        if planned is None:
            return []
        key, body = planned
        ops.append(PlannedOp(key=f"note:{key}", kind="note_add", payload={"body": body}))
        enrolments = payment_enrolments(event.payment, ctx.rules, key=key)
    ops.extend(
        PlannedOp(key=e.key, kind="workflow_enrol", payload={"workflow_id": e.workflow_id})
        for e in enrolments
    )
    return ops


def _event_log(event: Event, ctx: Context, patient_id: str, *, writes: list[str]) -> SyncLog:
    """The event's sync-log row: when it happened in Nextech, its status, and the keys of
    the contact and opportunity writes it led to (the values stay in the outbox: PHI)."""
    if event.appointment is None:
        assert event.payment is not None
        payment = event.payment
        message = f"Payment {payment.id}: {payment.status}"
        level = SyncLog.Level.INFO
        details = {"resource": "payment", "status": payment.status}
        occurred_at = payment.last_updated
    else:
        visit = event.appointment
        decision = stage_of(visit, ctx.rules)
        moved = f"stage {decision.stage.label}" if decision.stage else decision.held_because
        message = f"Appointment {visit.id}: {visit.status_label} ({visit.type_name}); {moved}"
        level = SyncLog.Level.WARNING if "review" in decision.held_because else SyncLog.Level.INFO
        details = {"resource": "appointment", "status": visit.status_label or visit.status or ""}
        occurred_at = visit.last_updated
    return SyncLog(
        tick_id=ctx.tick_id,
        kind="event",
        level=level,
        message=message[:500],
        patient_ref=patient_id,
        occurred_at=occurred_at,
        details={**details, "writes": writes} if writes else details,
    )


def _writes_by_event(events: list[Event], ops: list[PlannedOp]) -> dict[int, list[str]]:
    """Which event's activity row shows each contact and opportunity write.

    What the contact became is the doing of the batch's events together (one is usual):
    the last event carries the field changes, the last appointment the stage moves.
    """
    if not events:
        return {}
    last = len(events) - 1
    last_visit = max((n for n, e in enumerate(events) if e.appointment is not None),
                     default=last)
    writes: dict[int, list[str]] = {}
    for op in ops:
        if op.kind in ("contact_upsert", "opportunity_upsert"):
            writes.setdefault(last_visit if op.kind == "opportunity_upsert" else last,
                              []).append(op.key)
    return writes


def patient_process(
    *, patient_id: str, rows: list[tuple[InboxItem, Any]], ctx: Context, result: ProcessResult,
    type_names: Mapping[str, str], fetched: Patient | None = None,
) -> None:
    """Apply one patient's new rows and queue what their CRM contact needs, atomically.

    `type_names`: appointment type names by Nextech id (`appointment_types_ensure`).
    Raises `PatientUnknown`, having written nothing, for a patient to read from Nextech
    first (then passed as `fetched`).
    """
    with transaction.atomic():
        known = patient_records_apply(
            patient_id=patient_id, records=[record for _, record in rows], type_names=type_names,
            time_zone=ctx.time_zone, region=ctx.region, fetched_at=ctx.now,
            payments=ctx.rules.payments_enabled, fetched=fetched)
        if known.patient is None:
            raise LookupError(f"patient {patient_id} is not known locally")
        logs = [SyncLog(tick_id=ctx.tick_id, kind="patient", message=problem,
                        level=SyncLog.Level.WARNING, patient_ref=patient_id)
                for problem in known.problems]
        snapshot_row = ContactSnapshot.objects.select_for_update().filter(
            patient_id=patient_id).first()
        previous = dict(snapshot_row.state) if snapshot_row else {}
        desired = contact_desired(
            patient=patient_fact(known.patient),
            appointments=[appointment_fact(a, time_zone=ctx.time_zone)
                          for a in known.appointments],
            payments=[payment_fact(p) for p in known.payments],
            rules=ctx.rules,
            today=ctx.today,
        )
        version = int(previous.get("version", 0)) + 1
        ops, state = contact_plan(previous=previous, desired=desired, version=version)
        extras = {k: v for k, v in previous.items() if k not in state}
        state.update(extras)
        payments_noted = _payments_noted(patient_id, known.events)
        writes = _writes_by_event(known.events, ops)
        for n, event in enumerate(known.events):
            ops.extend(_event_ops(event, ctx, state, payments_noted))
            logs.append(_event_log(event, ctx, patient_id, writes=writes.get(n, [])))
        if _birthday_newly_set(previous, state):
            ops.extend(
                PlannedOp(
                    key=f"birthday:{patient_id}:{a.workflow_id}",
                    kind="workflow_enrol",
                    payload={"workflow_id": a.workflow_id},
                )
                for a in ctx.rules.automations
                if a.trigger == "birthday"
            )
        SyncLog.objects.bulk_create(logs)
        if ops:
            state["version"] = version
            if snapshot_row is None:
                ContactSnapshot.objects.create(patient_id=patient_id, state=state)
            else:
                snapshot_row.state = state
                snapshot_row.save(update_fields=["state", "updated_at"])
            created = OutboxOp.objects.bulk_create(
                [
                    OutboxOp(
                        key=op.key, patient_id=patient_id, kind=op.kind, payload=dict(op.payload)
                    )
                    for op in ops
                ],
                ignore_conflicts=True,  # an event seen before keeps its one note
            )
            result.operations += len(created)
        InboxItem.objects.filter(pk__in=[item.pk for item, _ in rows]).update(
            state=InboxItem.State.DONE, processed_at=ctx.now
        )
        result.events += len(known.events)
        result.patients += 1
    result.patient_rows[patient_id] = known.patient


def _payments_noted(patient_id: str, events: list[Event]) -> set[str]:
    """Ids of the patient's payments whose active version was noted (queued as a note).
    Read only when an event is a payment no longer active: the one case it decides."""
    if not any(e.payment is not None and e.payment.status != "active" for e in events):
        return set()
    keys = OutboxOp.objects.filter(
        patient_id=patient_id, kind="note_add", key__startswith="note:pay:",
        payload__body__startswith=PAYMENT_NOTE_HEAD).values_list("key", flat=True)
    return {key.split(":")[2] for key in keys}  # note:pay:<payment id>:<digest>


def _birthday_newly_set(previous: dict[str, Any], state: dict[str, Any]) -> bool:
    return bool(state.get("fields", {}).get("nxt_birthday")) and not previous.get("fields", {}).get(
        "nxt_birthday"
    )


def inbox_process(*, ctx: Context, patient_fetch: Callable[[str], Patient | None],
                  budget_seconds: float | None = None) -> ProcessResult:
    """Process new inbox rows, patient by patient, for at most `budget_seconds` (what is
    left waits for the next tick); a patient Nextech no longer knows is dead-lettered."""
    if budget_seconds is None:
        budget_seconds = settings.AXC_TICK_BUDGET_SECONDS / 3
    deadline = time.monotonic() + budget_seconds
    result = ProcessResult()
    groups = inbox_group(result)
    # Read once for the tick rather than once per patient: the appointment types the rows name.
    type_names = appointment_types_ensure(
        record for rows in groups.values() for _, record in rows if isinstance(record, Appointment))
    for patient_id, rows in groups.items():
        if time.monotonic() >= deadline:
            result.deferred_patients += 1
            continue
        try:
            patient_process(patient_id=patient_id, rows=rows, ctx=ctx, result=result,
                            type_names=type_names)
        except PatientUnknown:
            fetched = patient_fetch(patient_id)
            if fetched is None:
                for item, _ in rows:
                    _dead(item, f"patient {patient_id} could not be read from Nextech", result)
                continue
            patient_process(patient_id=patient_id, rows=rows, ctx=ctx, result=result,
                            type_names=type_names, fetched=fetched)
        crashpoint("process.patient_committed")
    return result
