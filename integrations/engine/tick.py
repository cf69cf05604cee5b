"""One tick of one practice: read Nextech into the inbox, decide, drain the outbox.

Runs inside the practice's schema, holding its tick lock (see integrations.tasks).
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import Any

from django.db import InterfaceError, OperationalError, connection
from django.utils import timezone

from axconnect.logging import log_context
from axconnect.metrics import tick_counters
from integrations.clock import SYSTEM_CLOCK, Clock
from integrations.engine.facts_load import local_date, rules_load
from integrations.engine.outbox import WritesPaused, outbox_drain
from integrations.engine.process import Context, inbox_process
from integrations.engine.read import backfill_read, backfill_start, changes_read, cursors_read
from integrations.ghl.client import GhlClient
from integrations.health import WRITES_PAUSED_PREFIX, practice_gauges_record
from integrations.http import ApiError, ErrorKind
from integrations.models import EngineSettings, SyncLog, SyncState
from integrations.nextech.client import NextechClient
from integrations.nextech.resources import Patient
from integrations.nxt_create.reconcile import nxt_create_reconcile
from integrations.nxt_create.service import Clients
from tenants.models import Practice
from tenants.services import practice_set_status

log = logging.getLogger(__name__)


def _patient_fetcher(client: NextechClient) -> Any:
    def fetch(patient_id: str) -> Patient | None:
        try:
            return client.patient_get(patient_id=patient_id)
        except ApiError as exc:
            if exc.kind is ErrorKind.RECORD:
                return None
            raise

    return fetch


def practice_tick(
    *,
    practice: Practice,
    nextech: NextechClient | None = None,
    ghl: GhlClient | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> dict[str, Any]:
    """Poll once. Credentials that fail put the practice in "needs attention" and lose nothing:
    unread changes stay in Nextech behind the cursor, unsent writes stay in the outbox."""
    tick_id = uuid.uuid4()
    # Every log line of the tick, whoever writes it, carries the practice and the tick.
    with log_context(practice=practice.schema_name, tick_id=str(tick_id)):
        summary = _tick_run(practice=practice, tick_id=tick_id, nextech=nextech, ghl=ghl,
                            clock=clock)
        practice_gauges_record(practice=practice, counters=tick_counters(
            practice=practice.schema_name, summary=summary))
    return summary


def _usage(nextech: NextechClient | None, ghl: GhlClient | None) -> dict[str, Any]:
    """Calls sent and client-side rate-limit waits so far (the GHL limiter outlives ticks)."""
    return {
        "nextech_calls": nextech.calls if nextech else 0,
        "ghl_calls": ghl.calls if ghl else 0,
        "rate_limit_wait_seconds": {
            "nextech": nextech.limiter.waited_seconds if nextech else 0.0,
            "ghl": ghl.limiter.waited_seconds if ghl else 0.0,
        },
    }


def _usage_since(before: dict[str, Any], nextech: NextechClient | None,
                 ghl: GhlClient | None) -> dict[str, Any]:
    # Differences: a client handed in by the caller keeps counting across ticks.
    now = _usage(nextech, ghl)
    waits = {k: v - before["rate_limit_wait_seconds"].get(k, 0.0)
             for k, v in now["rate_limit_wait_seconds"].items()}
    return {"nextech_calls": now["nextech_calls"] - before["nextech_calls"],
            "ghl_calls": now["ghl_calls"] - before["ghl_calls"],
            "rate_limit_wait_seconds": waits}


def _tick_run(
    *,
    practice: Practice,
    tick_id: uuid.UUID,
    nextech: NextechClient | None,
    ghl: GhlClient | None,
    clock: Clock,
) -> dict[str, Any]:
    state = SyncState.tick_started(timezone.now())
    summary: dict[str, Any] = {"tick_id": str(tick_id), "events_processed": 0, "errors": 0}
    before = _usage(nextech, ghl)
    try:
        nextech = nextech or _nextech_client(practice, clock)
        ghl = ghl or _ghl_client(practice, clock)
        before = _usage(nextech, ghl)
        now = clock.now()
        # Read once for the whole tick: the settings and the cursors.
        settings = EngineSettings.current()
        cursors = cursors_read()
        if not cursors:
            # First activation: recent changes come through the cursors; the backfill
            # also brings upcoming and recent visits that have not changed lately.
            today = local_date(now, practice.time_zone)
            backfill = backfill_start(
                start=today - timedelta(days=settings.backfill_days_past),
                end=today + timedelta(days=settings.backfill_days_future), clock=clock)
            cursors[backfill.resource] = backfill
        read = changes_read(client=nextech, clock=clock, payments=practice.payments_enabled,
                            since_default=now - timedelta(days=settings.backfill_days_past),
                            cursors=cursors)
        backfill_read(client=nextech, clock=clock, result=read, cursors=cursors)
        ctx = Context(
            rules_source=lambda: rules_load(practice, settings=settings),
            time_zone=practice.time_zone,
            region=practice.country,
            today=local_date(now, practice.time_zone),
            now=now,
            tick_id=tick_id,
        )
        processed = inbox_process(ctx=ctx, patient_fetch=_patient_fetcher(nextech))
        drained = outbox_drain(client=ghl, clock=clock, patients=processed.patient_rows)
        # NXT-Create requests a lost webhook or a crash left behind. Unfinished ones are
        # found locally (no CRM call when there are none); the CRM is searched for the tag
        # at most every `nxt_create_reconcile_minutes` (5 by default), so idle ticks between
        # those searches still make zero GoHighLevel calls.
        reconciled = nxt_create_reconcile(practice=practice,
                                          clients=Clients(nextech=nextech, ghl=ghl, clock=clock),
                                          settings=settings)
    except ApiError as exc:
        summary["errors"] += 1
        summary.update(_usage_since(before, nextech, ghl),
                       error={"system": exc.system, "kind": exc.kind.value})
        _tick_failed(practice=practice, state=state, error=exc, tick_id=tick_id)
        return summary
    except (OperationalError, InterfaceError) as exc:
        summary["errors"] += 1
        summary.update(_usage_since(before, nextech, ghl),
                       error={"system": "database", "kind": "unavailable"})
        _tick_failed_database(state=state, error=exc, tick_id=tick_id)
        return summary
    except WritesPaused as exc:
        summary["errors"] += 1
        summary.update(_usage_since(before, nextech, ghl),
                       error={"system": "ghl", "kind": "daily_limit"})
        state.last_error = f"{WRITES_PAUSED_PREFIX}: {exc}"[:500]
        state.save(update_fields=["last_error"])
        SyncLog.objects.create(
            tick_id=tick_id, kind="tick", level=SyncLog.Level.WARNING, message=state.last_error
        )
        return summary
    finished = timezone.now()
    state.last_tick_finished_at = state.last_success_at = finished
    state.last_error = ""
    state.save(update_fields=["last_tick_finished_at", "last_success_at", "last_error"])
    if practice.status == Practice.Status.NEEDS_ATTENTION:
        practice_set_status(practice=practice, status=Practice.Status.ACTIVE)
    summary.update(
        events_processed=processed.events,
        patients=processed.patients,
        operations_queued=processed.operations,
        operations_sent=drained.sent,
        dead_letters=processed.dead + drained.dead + read.dead,
        changes_stored=read.stored,
        nxt_create=reconciled.outcomes,
        duplicates_skipped=read.duplicates,
        **_usage_since(before, nextech, ghl),
    )
    SyncLog.objects.create(
        tick_id=tick_id,
        kind="tick",
        message=(
            f"Poll: {read.stored} new changes, {processed.events} events, "
            f"{drained.sent} CRM writes, {summary['dead_letters']} dead letters"
        ),
    )
    return summary


def _nextech_client(practice: Practice, clock: Clock) -> NextechClient:
    from tenants.nextech_link import nextech_client_for  # public-schema glue, loaded on use

    return nextech_client_for(practice=practice, clock=clock)


def _ghl_client(practice: Practice, clock: Clock) -> GhlClient:
    from tenants.ghl.client import ghl_client_for  # public-schema glue, loaded on use

    return ghl_client_for(practice=practice, clock=clock)


def _tick_failed(*, practice: Practice, state: SyncState, error: ApiError, tick_id: Any) -> None:
    state.last_tick_finished_at = timezone.now()
    state.last_error = str(error)[:500]
    state.save(update_fields=["last_tick_finished_at", "last_error"])
    level = SyncLog.Level.ERROR if error.kind is ErrorKind.CONFIG else SyncLog.Level.WARNING
    SyncLog.objects.create(
        tick_id=tick_id, kind="tick", level=level, message=f"Poll failed: {error}"[:500]
    )
    if error.kind is ErrorKind.CONFIG and error.system.lower().startswith("nextech"):
        practice_set_status(
            practice=practice,
            status=Practice.Status.NEEDS_ATTENTION,
            reason=f"Nextech credentials failed: {error.detail}",
        )
    elif error.kind is ErrorKind.CONFIG:
        from tenants.ghl.connect import ghl_connection_lost  # public-schema glue, loaded on use

        # Only a reconnect fixes it: the reason the admin and the portal look for.
        ghl_connection_lost(practice=practice, detail=error.detail)
    log.warning("tick failed for %s: %s", practice.schema_name, error.kind)


def _tick_failed_database(*, state: SyncState, error: Exception, tick_id: uuid.UUID) -> None:
    """Record a tick the database failed under (a restart, a failover), on a new connection.

    What was committed stands and the next tick resumes from it; the broken connection is
    replaced rather than left for the next task. The tick lock went with it, so a later
    tick may have started meanwhile: its record is then left alone. A database still down
    records nothing: the error goes to the queue, and the stalled-poller alarm speaks.
    """
    if not connection.in_atomic_block:
        connection.close()
    reason = next(iter(str(error).strip().splitlines()), type(error).__name__)
    last_error = f"Database error: {reason}"[:500]
    try:
        SyncState.objects.filter(pk=state.pk, last_tick_started_at=state.last_tick_started_at
                                 ).update(last_tick_finished_at=timezone.now(),
                                          last_error=last_error)
        SyncLog.objects.create(tick_id=tick_id, kind="tick", level=SyncLog.Level.WARNING,
                               message=f"Poll failed: {last_error}"[:500])
    except (OperationalError, InterfaceError) as still_down:
        log.warning("tick failed, database error: %s; not recorded: %s", reason, still_down)
        raise error from None
    log.warning("tick failed, database error: %s", reason)
