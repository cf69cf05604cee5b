"""Dead letters back into the flow, by staff: an inbox row is decided again, an outbox
operation is sent again."""

from __future__ import annotations

from collections.abc import Iterable

from integrations.models import InboxItem, OutboxOp, SyncLog


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
