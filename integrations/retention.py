"""Data retention: raw Nextech payloads, sent CRM writes and sync logs are kept only for
`settings.RETENTION_DAYS` days, in every practice's schema.

What is purged is only what nothing needs any more:
- processed inbox rows (their payload is the raw patient record). New rows wait to be
  processed and dead letters wait for staff, so both stay whatever their age. The cursor
  has long moved past a purged row, so it is never read again as new;
- sent outbox operations (their payload is the contact data written to the CRM);
- sync log rows.
The engine's own state (known patients, appointments, snapshots) is not touched: it is
what the next decision is computed from.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django_q.models import Schedule
from django_tenants.utils import schema_context

from axconnect.logging import log_context
from integrations.models import InboxItem, OutboxOp, SyncLog
from tenants.models import Practice

log = logging.getLogger(__name__)

SCHEDULE_NAME = "ops:retention"
RETENTION_TASK = "integrations.retention.retention_purge_all"


@dataclass(frozen=True)
class PurgeResult:
    inbox: int
    outbox: int
    sync_logs: int


def retention_purge(*, practice: Practice, days: int, now: datetime | None = None) -> PurgeResult:
    """Delete one practice's processed payloads and logs older than `days` days."""
    cutoff = (now or timezone.now()) - timedelta(days=days)
    with schema_context(practice.schema_name):
        done_before = Q(processed_at__lt=cutoff) | Q(
            processed_at__isnull=True, received_at__lt=cutoff
        )
        inbox, _ = InboxItem.objects.filter(done_before, state=InboxItem.State.DONE).delete()
        sent = Q(done_at__lt=cutoff) | Q(done_at__isnull=True, created_at__lt=cutoff)
        outbox, _ = OutboxOp.objects.filter(sent, state=OutboxOp.State.DONE).delete()
        logs, _ = SyncLog.objects.filter(created_at__lt=cutoff).delete()
    return PurgeResult(inbox=inbox, outbox=outbox, sync_logs=logs)


def retention_purge_all(days: int | None = None) -> dict[str, dict[str, int]]:
    """The daily task: purge every practice's schema; one failing practice stops no other."""
    days = days or settings.RETENTION_DAYS
    results: dict[str, dict[str, int]] = {}
    for practice in Practice.objects.exclude(schema_name="public").order_by("schema_name"):
        with log_context(practice=practice.schema_name):
            try:
                purged = retention_purge(practice=practice, days=days)
            except Exception:
                log.exception("retention purge failed")
                continue
            results[practice.schema_name] = purged.__dict__
            log.info("retention purge: %d inbox, %d outbox, %d sync log rows older than %d days",
                     purged.inbox, purged.outbox, purged.sync_logs, days)
    return results


def retention_schedule_ensure() -> Schedule:
    """The daily purge's schedule, created once however often this runs (the name is not
    unique in the table, so look it up rather than rely on a constraint)."""
    schedule = Schedule.objects.filter(name=SCHEDULE_NAME).order_by("id").first()
    if schedule is None:
        schedule = Schedule(name=SCHEDULE_NAME)
    schedule.func = RETENTION_TASK
    schedule.schedule_type = Schedule.DAILY
    schedule.repeats = -1
    schedule.save()
    return schedule
