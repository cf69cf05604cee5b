"""A patient's activity for the portal: find the patient, then everything AX Connect did
for them and why their contact sits in its current stage."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Q, QuerySet

from integrations.categories import PIPELINE_LABELS, Stage
from integrations.engine.facts_load import patient_history, rules_load
from integrations.engine.stages import category_of, stages_by_pipeline
from integrations.models import KnownPatient, OutboxOp, StageMapping, SyncLog
from tenants.models import Practice

SEARCH_LIMIT = 25
TIMELINE_LIMIT = 200

OP_TITLES = {
    "contact_upsert": "Contact fields updated",
    "note_add": "Note added",
    "opportunity_upsert": "Opportunity stage set",
    "tags_add": "Tags added",
    "tags_remove": "Tags removed",
    "workflow_enrol": "Added to a workflow",
}


def patient_search(*, query: str) -> QuerySet[KnownPatient]:
    """Patients matching a name, email, phone or NXT Patient ID (at most SEARCH_LIMIT)."""
    text = query.strip()
    if not text:
        return KnownPatient.objects.none()
    match = Q(nextech_id=text) | Q(email__iexact=text)
    words = text.split()
    if len(words) >= 2:
        match |= Q(given__icontains=words[0], family__icontains=words[-1])
        match |= Q(given__icontains=words[-1], family__icontains=words[0])
    else:
        match |= Q(given__icontains=text) | Q(family__icontains=text)
        match |= Q(email__icontains=text)
    digits = re.sub(r"\D", "", text)
    if len(digits) >= 4:
        # Phones are stored E.164 (+14045550101); staff type (404) 555-0101 or the last digits.
        match |= Q(phone__endswith=digits[-10:])
    return KnownPatient.objects.filter(match).order_by("family", "given")[:SEARCH_LIMIT]


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # "event", "write", "failure", "note", ...
    title: str
    body: str = ""
    failed: bool = False


@dataclass(frozen=True)
class CurrentStage:
    pipeline: str
    stage: str
    crm_stage: str  # the GoHighLevel stage's own name, when mapped
    # The appointment that governs the stage: "why is this contact in this stage?"
    appointment_type: str
    appointment_status: str
    appointment_date: date
    category: str


def _op_entry(op: OutboxOp, stage_names: dict[str, str]) -> TimelineEntry:
    title, body = OP_TITLES.get(op.kind, op.kind), ""
    if op.kind == "note_add":
        body = str(op.payload.get("body", ""))
    elif op.kind == "opportunity_upsert":
        stage = str(op.payload.get("stage", ""))
        if stage in Stage._value2member_map_:
            canonical = Stage(stage)
            title = f"Moved to {PIPELINE_LABELS[canonical.pipeline]} pipeline: {canonical.label}"
        crm = stage_names.get(stage, "")
        status = op.payload.get("status", "")
        body = f"CRM stage “{crm}”, opportunity {status}" if crm else f"Opportunity {status}"
    elif op.kind in ("tags_add", "tags_remove"):
        body = ", ".join(str(t) for t in op.payload.get("tags", []))
    at = op.done_at or op.created_at
    if op.state == OutboxOp.State.DEAD:
        return TimelineEntry(at, "failure", f"Failed: {title}", op.last_error, failed=True)
    if op.state == OutboxOp.State.PENDING:
        return TimelineEntry(at, "pending", f"Waiting to send: {title}", body)
    return TimelineEntry(at, "write", title, body)


def patient_timeline_read(*, patient: KnownPatient) -> list[TimelineEntry]:
    """Events, writes (with note bodies and stage moves) and failures, newest first."""
    stage_names = dict(StageMapping.objects.values_list("canonical_stage", "ghl_stage_name"))
    entries = [
        TimelineEntry(row.created_at, row.kind, row.message,
                      failed=row.level == SyncLog.Level.ERROR)
        for row in SyncLog.objects.filter(patient_ref=patient.nextech_id)[:TIMELINE_LIMIT]
    ]
    ops = OutboxOp.objects.filter(patient_id=patient.nextech_id).order_by("-id")[:TIMELINE_LIMIT]
    entries.extend(_op_entry(op, stage_names) for op in ops)
    return sorted(entries, key=lambda e: e.at, reverse=True)


def patient_stages_read(*, practice: Practice, patient: KnownPatient) -> list[CurrentStage]:
    """Each pipeline's stage and the appointment that puts the contact there."""
    appointments, _ = patient_history(patient.nextech_id, time_zone=practice.time_zone)
    rules = rules_load(practice)
    stage_names = dict(StageMapping.objects.values_list("canonical_stage", "ghl_stage_name"))
    stages = []
    for pipeline, (stage, visit) in sorted(stages_by_pipeline(appointments, rules).items()):
        category = category_of(visit, rules)
        stages.append(CurrentStage(
            pipeline=PIPELINE_LABELS[pipeline], stage=stage.label,
            crm_stage=stage_names.get(stage.value, ""),
            appointment_type=visit.service or visit.type_name,
            appointment_status=visit.status_label or (visit.status or ""),
            appointment_date=visit.date, category=category.label if category else ""))
    return stages
