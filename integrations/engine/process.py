"""Decide: turn new inbox rows into local state and outbox operations, one patient at a
time, each patient in one transaction (state, snapshot, operations and the inbox rows
marked done commit together or not at all)."""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import transaction

from integrations.engine.apply import Event, appointment_apply, patient_apply, payment_apply
from integrations.engine.crashpoints import crashpoint
from integrations.engine.desired import contact_desired
from integrations.engine.events import (
    appointment_enrolments,
    appointment_event_key,
    appointment_note,
    payment_enrolments,
    payment_event_key,
    payment_note,
)
from integrations.engine.facts import Rules, StatusClass
from integrations.engine.facts_load import patient_fact, patient_history
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


@dataclass(frozen=True)
class Context:
    rules: Rules
    time_zone: str
    region: str
    today: date
    now: datetime
    tick_id: Any


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
                item.state, item.processed_at = InboxItem.State.DONE, None
                item.save(update_fields=["state"])
                result.skipped_blocks += 1
            else:
                _dead(item, f"{item.resource} {item.external_id} names no patient", result)
            continue
        groups[patient_id].append((item, record))
    return groups


def _event_ops(event: Event, ctx: Context, snapshot: dict[str, Any]) -> list[PlannedOp]:
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
        key = payment_event_key(event.payment)
        if not ctx.rules.payments_enabled:
            return []
        ops.append(
            PlannedOp(
                key=f"note:{key}",
                kind="note_add",
                payload={"body": payment_note(event.payment, key=key)},
            )
        )
        enrolments = payment_enrolments(event.payment, ctx.rules, key=key)
    ops.extend(
        PlannedOp(key=e.key, kind="workflow_enrol", payload={"workflow_id": e.workflow_id})
        for e in enrolments
    )
    return ops


def _log_event(event: Event, ctx: Context, patient_id: str) -> None:
    if event.appointment is None:
        assert event.payment is not None
        message = f"Payment {event.payment.id}: {event.payment.status}"
        level = SyncLog.Level.INFO
    else:
        visit = event.appointment
        decision = stage_of(visit, ctx.rules)
        moved = f"stage {decision.stage.label}" if decision.stage else decision.held_because
        message = f"Appointment {visit.id}: {visit.status_label} ({visit.type_name}); {moved}"
        level = SyncLog.Level.WARNING if "review" in decision.held_because else SyncLog.Level.INFO
    SyncLog.objects.create(
        tick_id=ctx.tick_id,
        kind="event",
        level=level,
        message=message[:500],
        patient_ref=patient_id,
    )


def patient_process(
    *, patient_id: str, rows: list[tuple[InboxItem, Any]], ctx: Context, result: ProcessResult
) -> None:
    """Apply one patient's new rows and queue what their CRM contact needs, atomically."""
    with transaction.atomic():
        events: list[Event] = []
        for _item, record in rows:
            if isinstance(record, Patient):
                for problem in patient_apply(record, region=ctx.region, fetched_at=ctx.now):
                    SyncLog.objects.create(
                        tick_id=ctx.tick_id,
                        kind="patient",
                        message=problem,
                        level=SyncLog.Level.WARNING,
                        patient_ref=patient_id,
                    )
            elif isinstance(record, Appointment):
                events.append(appointment_apply(record, time_zone=ctx.time_zone))
            else:
                events.append(payment_apply(record))
        patient = KnownPatient.objects.filter(nextech_id=patient_id).first()
        if patient is None:
            raise LookupError(f"patient {patient_id} is not known locally")
        snapshot_row, _ = ContactSnapshot.objects.select_for_update().get_or_create(
            patient_id=patient_id
        )
        previous = dict(snapshot_row.state)
        appointments, payments = patient_history(patient_id, time_zone=ctx.time_zone)
        desired = contact_desired(
            patient=patient_fact(patient),
            appointments=appointments,
            payments=payments,
            rules=ctx.rules,
            today=ctx.today,
        )
        version = int(previous.get("version", 0)) + 1
        ops, state = contact_plan(previous=previous, desired=desired, version=version)
        extras = {k: v for k, v in previous.items() if k not in state}
        state.update(extras)
        for event in events:
            ops.extend(_event_ops(event, ctx, state))
            _log_event(event, ctx, patient_id)
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
        if ops:
            state["version"] = version
            snapshot_row.state = state
            snapshot_row.save()
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
        result.events += len(events)
        result.patients += 1


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
    for patient_id, rows in inbox_group(result).items():
        if time.monotonic() >= deadline:
            result.deferred_patients += 1
            continue
        has_patient_row = any(isinstance(record, Patient) for _, record in rows)
        if not has_patient_row and not KnownPatient.objects.filter(nextech_id=patient_id).exists():
            fetched = patient_fetch(patient_id)
            if fetched is None:
                for item, _ in rows:
                    _dead(item, f"patient {patient_id} could not be read from Nextech", result)
                continue
            patient_apply(fetched, region=ctx.region, fetched_at=ctx.now)
        patient_process(patient_id=patient_id, rows=rows, ctx=ctx, result=result)
        crashpoint("process.patient_committed")
    return result
