"""Back into the flow, by staff: a dead inbox row is decided again, an outbox operation is
sent again, appointments are decided again after their category changed."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db.models import Max

from integrations.models import InboxItem, KnownAppointment, OutboxOp, SyncLog


def inbox_replay(*, item_ids: Iterable[int]) -> int:
    """Mark dead inbox rows new again; the next tick decides them. Rows that were dead
    because Nextech sent something unreadable carry no record and stay dead."""
    count = InboxItem.objects.filter(pk__in=list(item_ids), state=InboxItem.State.DEAD).exclude(
        payload={}).update(state=InboxItem.State.NEW, error="")
    if count:
        SyncLog.objects.create(kind="replay", message=f"{count} inbox item(s) queued again")
    return count


def outbox_retry(*, op_ids: Iterable[int]) -> int:
    """Queue dead operations again, from their first attempt."""
    count = OutboxOp.objects.filter(pk__in=list(op_ids), state=OutboxOp.State.DEAD).update(
        state=OutboxOp.State.PENDING, attempts=0, next_attempt_at=None, last_error="")
    if count:
        SyncLog.objects.create(kind="replay", message=f"{count} CRM write(s) queued again")
    return count


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
