"""django-q2 task entry points. Each takes the schema name: a task never inherits a tenant."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tenants.utils import schema_context

from axconnect.logging import log_context
from axconnect.metrics import counter_add
from integrations.locking import practice_tick_lock
from integrations.models import SyncLog, SyncState
from integrations.tick_pool import process_tick_pool
from tenants.models import Practice
from tenants.models.credentials import practice_with_credentials
from tenants.poll_budget import practice_poll_finished
from tenants.poll_plan import OpeningHoursError
from tenants.schedule import practice_is_polled

log = logging.getLogger(__name__)


def practice_poll_start(schema_name: str, slot: str | None = None) -> dict[str, Any]:
    """The scheduled task: the practice's tick on this worker's tick pool (see
    integrations.tick_pool), so one worker process runs many practices' ticks at once.

    Waits for a free thread at most half the queue's task timeout, so that waiting never
    gets the worker killed; a poll that found no free thread by then is skipped and said
    so (log and metric): the next slot polls the practice, from where its cursors stand.
    `slot` is the moment the schedule fired for (its next_run, ISO 8601), which the
    next poll is planned from.
    """
    if settings.Q_CLUSTER.get("sync"):
        return practice_poll(schema_name, slot=slot)  # inline: nothing to overlap with
    pool = process_tick_pool(threads=settings.AXC_TICK_THREADS, tick=practice_poll)
    wait_seconds = int(settings.Q_CLUSTER["timeout"]) / 2  # type: ignore[call-overload]
    if pool.submit(schema_name, wait_seconds=wait_seconds, slot=slot) is None:
        log.warning("poll skipped, every tick thread busy for %.0f s: %s",
                    wait_seconds, schema_name)
        counter_add(name="axc_ticks", practice=schema_name, amount=1, label="skipped_busy")
        return {"practice": schema_name, "skipped": "every tick thread busy"}
    return {"practice": schema_name, "started": f"on a pool of {pool.threads} threads"}


def practice_poll(schema_name: str, slot: str | None = None) -> dict[str, Any]:
    """Run one tick for a practice, inside its schema, unless one is already running;
    then count its Nextech calls and schedule the next poll from the poll plan."""
    with log_context(practice=schema_name):  # on every line this task logs
        return _practice_poll(schema_name, slot=datetime.fromisoformat(slot) if slot else None)


def _practice_poll(schema_name: str, *, slot: datetime | None) -> dict[str, Any]:
    # A worker reuses its connection; start from public whatever the last task left.
    connection.set_schema_to_public()  # type: ignore[attr-defined]
    # With both credentials: building the tick's clients then reads nothing more.
    practice = practice_with_credentials(schema_name=schema_name)
    if practice is None or practice.is_public:
        return {"practice": schema_name, "skipped": "no such practice"}
    if not practice_is_polled(practice):
        return {"practice": schema_name, "skipped": f"status is {practice.status}"}
    with schema_context(schema_name), practice_tick_lock(schema_name) as acquired:
        if not acquired:
            SyncState.current()
            SyncState.objects.filter(pk=1).update(
                ticks_skipped_locked=F("ticks_skipped_locked") + 1
            )
            SyncLog.objects.create(kind="tick_skipped", message="Another poll was still running.")
            log.info("tick skipped, lock held: %s", schema_name)
            counter_add(name="axc_ticks", practice=schema_name, amount=1, label="skipped_locked")
            return {"practice": schema_name, "skipped": "locked"}
        tick = import_string(settings.AXC_TICK_FUNCTION)
        result: dict[str, Any] = tick(practice=practice)
        _next_poll_plan(practice=practice, summary=result, slot=slot)
        return {"practice": schema_name, **result}


def _next_poll_plan(*, practice: Practice, summary: dict[str, Any], slot: datetime | None
                    ) -> None:
    # Still under the tick lock, so the next tick of this practice plans after this one.
    # The tables are public ones, which the tenant's search path also reaches.
    try:
        plan = practice_poll_finished(practice=practice, summary=summary, slot=slot,
                                      now=timezone.now())
    except (OperationalError, InterfaceError, OpeningHoursError) as exc:
        # The row keeps the next_run the scheduler gave it: one opening-hours interval on.
        # (Opening hours the admin would refuse can still be saved from a shell.)
        log.warning("next poll not planned: %s", type(exc).__name__)
        return
    summary["next_poll_at"] = plan.next_poll_at.isoformat()
