"""Retention: each practice's processed payloads, sent writes and sync logs older than
RETENTION_DAYS go; recent rows, unprocessed rows and dead letters stay."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_q.models import Schedule
from django_tenants.utils import schema_context

from integrations.models import InboxItem, OutboxOp, SyncLog
from integrations.retention import (
    SCHEDULE_NAME,
    retention_purge_all,
    retention_schedule_ensure,
)


def _seed(schema: str, *, old_days: int) -> None:
    old = timezone.now() - timedelta(days=old_days)
    with schema_context(schema):
        for n, (state, aged) in enumerate([("done", True), ("done", False), ("dead", True),
                                           ("new", True)]):
            item = InboxItem.objects.create(resource="Patient", external_id=f"{state}-{n}",
                                            version="1", payload={"name": [{"given": ["X"]}]},
                                            state=state)
            if aged:
                InboxItem.objects.filter(pk=item.pk).update(received_at=old, processed_at=old)
        for n, (state, aged) in enumerate([("done", True), ("done", False), ("pending", True)]):
            op = OutboxOp.objects.create(key=f"{schema}-{n}", patient_id="1", kind="contact_upsert",
                                         payload={}, state=state)
            if aged:
                OutboxOp.objects.filter(pk=op.pk).update(created_at=old, done_at=old)
        SyncLog.objects.create(kind="tick", message="old")
        SyncLog.objects.filter(message="old").update(created_at=old)
        SyncLog.objects.create(kind="tick", message="recent")


def _left(schema: str) -> dict[str, list[str]]:
    with schema_context(schema):
        return {
            "inbox": sorted(InboxItem.objects.values_list("external_id", flat=True)),
            "outbox": sorted(OutboxOp.objects.values_list("key", flat=True)),
            "logs": sorted(SyncLog.objects.values_list("message", flat=True)),
        }


def test_purge_keeps_recent_pending_and_dead_rows_in_every_practice(
    practice_a, practice_b, settings
):
    settings.RETENTION_DAYS = 10
    _seed(practice_a.schema_name, old_days=11)
    _seed(practice_b.schema_name, old_days=9)  # younger than the limit: all kept

    results = retention_purge_all()

    assert results[practice_a.schema_name] == {"inbox": 1, "outbox": 1, "sync_logs": 1}
    assert _left(practice_a.schema_name) == {
        "inbox": ["dead-2", "done-1", "new-3"],
        "outbox": [f"{practice_a.schema_name}-1", f"{practice_a.schema_name}-2"],
        "logs": ["recent"],
    }
    assert results[practice_b.schema_name] == {"inbox": 0, "outbox": 0, "sync_logs": 0}
    assert len(_left(practice_b.schema_name)["inbox"]) == 4


def test_the_purge_is_scheduled_daily_once(db):
    retention_schedule_ensure()
    retention_schedule_ensure()
    (schedule,) = Schedule.objects.filter(name=SCHEDULE_NAME)
    assert (schedule.func, schedule.schedule_type) == (
        "integrations.retention.retention_purge_all", Schedule.DAILY)
