"""Back into the flow, by staff: a dead inbox row is decided again, an outbox operation is
sent again, appointments are decided again after their category changed."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from integrations.engine.plan import op_replan
from integrations.models import ContactSnapshot, InboxItem, KnownAppointment, OutboxOp, SyncLog


def inbox_replay(*, item_ids: Iterable[int]) -> int:
    """Mark dead inbox rows new again; the next tick decides them. Rows that were dead
    because Nextech sent something unreadable carry no record and stay dead."""
    count = InboxItem.objects.filter(pk__in=list(item_ids), state=InboxItem.State.DEAD).exclude(
        payload={}).update(state=InboxItem.State.NEW, error="")
    if count:
        SyncLog.objects.create(kind="replay", message=f"{count} inbox item(s) queued again")
    return count


def outbox_retry(*, op_ids: Iterable[int]) -> int:
    """Queue dead operations again; returns how many left the dead letters.

    A retried operation keeps what it knew: one that was attempted may have reached the
    CRM, so its attempts restart at 1, not 0, and a note is looked for before it is sent
    again, as after a crash. A write is planned again from the patient's latest state
    (`op_replan`); one with nothing left to write is done at once.
    """
    with transaction.atomic():
        dead = list(OutboxOp.objects.select_for_update().filter(
            pk__in=list(op_ids), state=OutboxOp.State.DEAD))
        snapshots = dict(ContactSnapshot.objects.filter(
            patient_id__in={op.patient_id for op in dead}).values_list("patient_id", "state"))
        superseded = 0
        for op in dead:
            payload = op_replan(op.kind, op.payload, snapshots.get(op.patient_id) or {})
            op.attempts = min(op.attempts, 1)  # 1: it may have been sent (see note_add)
            op.next_attempt_at, op.last_error = None, ""
            if payload is None:
                op.state, op.done_at, op.result = OutboxOp.State.DONE, timezone.now(), {
                    "superseded": True}
                superseded += 1
            else:
                op.state, op.payload = OutboxOp.State.PENDING, payload
        OutboxOp.objects.bulk_update(dead, ["state", "attempts", "next_attempt_at",
                                            "last_error", "payload", "done_at", "result"])
        if dead:
            SyncLog.objects.create(kind="replay", message=(
                f"{len(dead)} CRM write(s) queued again"
                + (f" ({superseded} no longer needed: done)" if superseded else "")))
    return len(dead)


def appointments_redecide(*, type_ids: Iterable[str], changed_since: datetime | None = None,
                          ) -> int:
    """Have the next tick decide again the appointments of these Nextech types (changed in
    Nextech since `changed_since`, or all); returns how many were queued.

    Re-queues the latest stored version of each; deciding a patient reads all their
    appointments with today's categories, and notes and writes carry idempotency keys, so
    a contact is moved if its stage changed and gets no second note.
    """
    known = KnownAppointment.objects.filter(type_id__in=list(type_ids))
    if changed_since is not None:
        known = known.filter(last_updated__gte=changed_since)
    done = InboxItem.objects.filter(resource="Appointment", state=InboxItem.State.DONE,
                                    external_id__in=known.values("nextech_id"))
    latest = done.values("external_id").annotate(last=Max("id")).values_list("last", flat=True)
    return InboxItem.objects.filter(pk__in=list(latest)).update(state=InboxItem.State.NEW)
