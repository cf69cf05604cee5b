"""The difference between what was last queued for a contact and what it should be now,
as outbox operations. Pure: no I/O; an unchanged contact yields no operations."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from integrations.engine.desired import DesiredContact


@dataclass(frozen=True)
class PlannedOp:
    key: str  # deterministic: the same history plans the same keys
    kind: str  # contact_upsert, tags_add, tags_remove, opportunity_upsert, note_add, workflow_enrol
    payload: Mapping[str, Any] = field(default_factory=dict)


# The parts of a snapshot a contact upsert writes.
CONTACT_PARTS = ("core", "fields", "assigned_user_id")


def snapshot_of(desired: DesiredContact) -> dict[str, Any]:
    """The JSON form of a desired state, as stored in ContactSnapshot.state."""
    return {
        "core": dict(desired.core),
        "fields": dict(desired.fields),
        "assigned_user_id": desired.assigned_user_id,
        "tags": sorted(desired.tags),
        "opportunities": {
            pipeline.value: {
                "stage": target.stage.value,
                "status": target.status,
                "value": None if target.value is None else str(target.value),
                "name": target.name,
            }
            for pipeline, target in sorted(desired.opportunities.items())
        },
        "workflows": sorted(desired.workflows),
    }


def field_changes(previous: Mapping[str, Any], now: Mapping[str, Any]) -> list[dict[str, str]]:
    """Each contact value that differs, as {"field", "from", "to"}, for staff reading the
    activity ("from" is empty for a value never written).

    Kept with the write in the outbox (which holds the new values anyway), never in the
    sync log: the values are the patient's own data.
    """
    changes: list[dict[str, str]] = []
    for part in ("core", "fields"):
        before, after = previous.get(part) or {}, now[part]
        changes.extend({"field": key, "from": str(before.get(key) or ""), "to": str(value)}
                       for key, value in after.items() if before.get(key) != value)
    if previous.get("assigned_user_id") != now["assigned_user_id"]:
        changes.append({"field": "assigned_user_id",
                        "from": str(previous.get("assigned_user_id") or ""),
                        "to": str(now["assigned_user_id"])})
    # A value the same as before is no change, whatever the snapshot's shape.
    return [change for change in changes if change["from"] != change["to"]]


def contact_plan(
    *, previous: Mapping[str, Any], desired: DesiredContact, version: int
) -> tuple[list[PlannedOp], dict[str, Any]]:
    """Operations that bring the contact from `previous` (a snapshot) to `desired`.

    `version` numbers this change for the patient, so a state that flips back (A, B, A)
    still plans a fresh write instead of colliding with the first one's key.
    Returns the operations and the new snapshot.
    """
    now = snapshot_of(desired)
    patient = desired.patient_id
    ops: list[PlannedOp] = []
    if any(previous.get(part) != now[part] for part in CONTACT_PARTS):
        ops.append(
            PlannedOp(
                key=f"contact:{patient}:v{version}",
                kind="contact_upsert",
                payload={**{part: now[part] for part in CONTACT_PARTS},
                         "changes": field_changes(previous, now)},
            )
        )
    old_tags, new_tags = set(previous.get("tags", [])), set(now["tags"])
    if new_tags - old_tags:
        ops.append(
            PlannedOp(
                key=f"tags+:{patient}:v{version}",
                kind="tags_add",
                payload={"tags": sorted(new_tags - old_tags)},
            )
        )
    if old_tags - new_tags:
        ops.append(
            PlannedOp(
                key=f"tags-:{patient}:v{version}",
                kind="tags_remove",
                payload={"tags": sorted(old_tags - new_tags)},
            )
        )
    old_opps = previous.get("opportunities", {})
    for pipeline, target in now["opportunities"].items():
        if old_opps.get(pipeline) != target:
            ops.append(
                PlannedOp(
                    key=f"opp:{patient}:{pipeline}:v{version}",
                    kind="opportunity_upsert",
                    # The stage it leaves, for the activity list; the write ignores it.
                    payload={"pipeline": pipeline, **target,
                             "from_stage": (old_opps.get(pipeline) or {}).get("stage", "")},
                )
            )
    # Enrolments accumulate: a contact moved to another location is routed there too,
    # and leaving a location's workflow is that workflow's own business.
    enrolled = set(previous.get("workflows", []))
    for workflow_id in sorted(set(now["workflows"]) - enrolled):
        ops.append(PlannedOp(key=f"route:{patient}:{workflow_id}:v{version}",
                             kind="workflow_enrol", payload={"workflow_id": workflow_id}))
    now["workflows"] = sorted(enrolled | set(now["workflows"]))
    return ops, now


def op_replan(kind: str, payload: Mapping[str, Any],
              snapshot: Mapping[str, Any]) -> dict[str, Any] | None:
    """A dead write's payload brought up to the contact's latest planned state (`snapshot`),
    for a retry: newer writes may have gone out since it died, and its own old values
    would undo them. None when nothing it wrote is still wanted. Events (notes,
    enrolments) stay as they were: they are history, not state."""
    if not snapshot:
        return dict(payload)
    if kind == "contact_upsert":
        return {part: snapshot.get(part, payload.get(part)) for part in CONTACT_PARTS}
    if kind in ("tags_add", "tags_remove"):
        wanted = set(snapshot.get("tags", []))
        tags = set(payload["tags"])
        still = tags & wanted if kind == "tags_add" else tags - wanted
        return {"tags": sorted(still)} if still else None
    if kind == "opportunity_upsert":
        target = snapshot.get("opportunities", {}).get(payload["pipeline"])
        return {"pipeline": payload["pipeline"], **target} if target else None
    return dict(payload)
