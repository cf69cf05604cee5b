"""Sync health and credential status, as the portal dashboard shows them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from integrations.engine.read import backfill_pending
from integrations.models import OutboxOp, SyncLog, SyncState
from tenants.ghl.connect import ghl_connection_read
from tenants.models import NextechCredential, Practice
from tenants.poll_budget import practice_poll_gap

# A poll is "late" once it has missed this many of its slots: one missed slot is
# ordinary (a long backfill tick), two mean something is wrong.
LATE_AFTER_SLOTS = 2


@dataclass(frozen=True)
class BackfillProgress:
    """The first sync's read of past and upcoming appointments, while it lasts."""

    read: int
    total: int | None  # None until Nextech's search has said how many there are


@dataclass(frozen=True)
class SyncHealth:
    last_success_at: datetime | None
    since_last_success: timedelta | None
    poll_interval: timedelta
    late: bool  # credentials failing, or no successful poll within LATE_AFTER_SLOTS intervals
    last_error: str
    events_today: int
    writes_waiting: int
    backfill: BackfillProgress | None = None
    sync_requested_at: datetime | None = None  # the latest "Sync now" still to be picked up


@dataclass(frozen=True)
class CredentialStatus:
    system: str  # "Nextech" or "Aesthetix CRM"
    state: str  # "connected", "needs_attention" or "not_connected"
    reason: str  # why it needs attention, in staff's words; empty when fine
    refresh_lapses_at: datetime | None = None  # when known (Nextech Select)


def _day_start(now: datetime, time_zone: str) -> datetime:
    local = now.astimezone(ZoneInfo(time_zone))
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def sync_health_read(*, practice: Practice, now: datetime) -> SyncHealth:
    """How the practice's polling stands at `now` (events counted in its own day)."""
    state = SyncState.objects.filter(pk=1).first()
    last = state.last_success_at if state else None
    interval = practice_poll_gap(practice=practice)  # as planned: longer at night
    since = now - last if last else None
    polled = practice.status in (Practice.Status.ACTIVE, Practice.Status.NEEDS_ATTENTION)
    # Failing credentials stop every poll: never "on schedule", however recent the last
    # success was.
    failing = practice.status == Practice.Status.NEEDS_ATTENTION
    late = polled and (failing or since is None or since > interval * LATE_AFTER_SLOTS)
    backfill = backfill_pending()
    started = state.last_tick_started_at if state else None
    if late and not failing and backfill is not None and not (state and state.last_error) \
            and started and now - started <= interval * LATE_AFTER_SLOTS:
        late = False  # the first sync is at work (its ticks are long), not behind
    asked = SyncLog.objects.filter(kind="sync_requested").values_list(
        "created_at", flat=True).first()
    return SyncHealth(
        last_success_at=last,
        since_last_success=since,
        poll_interval=interval,
        late=late,
        last_error=(state.last_error if state else "") or (
            practice.status_reason if failing else ""),
        events_today=SyncLog.objects.filter(
            kind="event", created_at__gte=_day_start(now, practice.time_zone)).count(),
        writes_waiting=OutboxOp.objects.filter(state=OutboxOp.State.PENDING).count(),
        backfill=BackfillProgress(backfill.items_read, backfill.items_total) if backfill else None,
        sync_requested_at=asked if asked and (started is None or asked > started) else None,
    )


def _nextech_status(practice: Practice) -> CredentialStatus:
    credential = NextechCredential.objects.filter(practice=practice).first()
    if credential is None or credential.practice_guid is None:
        return CredentialStatus("Nextech", "not_connected", "Credentials not entered yet.")
    reason = ""
    if (practice.status == Practice.Status.NEEDS_ATTENTION
            and practice.status_reason.startswith("Nextech")):
        reason = practice.status_reason
    elif credential.last_error:
        reason = f"Last connection test failed: {credential.last_error}"
    state = "needs_attention" if reason else "connected"
    return CredentialStatus("Nextech", state, reason, credential.refresh_expires_at)


def _ghl_status(practice: Practice) -> CredentialStatus:
    connection = ghl_connection_read(practice=practice)
    if connection.state == "needs_reconnect":
        # Practice staff know the white-label name; the agency reconnects.
        reason = "The connection was lost: your agency must reconnect it" + (
            f" ({connection.detail})." if connection.detail else ".")
        return CredentialStatus("Aesthetix CRM", "needs_attention", reason)
    if connection.state == "not_connected":
        return CredentialStatus("Aesthetix CRM", "not_connected", "Not connected yet.")
    if (practice.status == Practice.Status.NEEDS_ATTENTION
            and practice.status_reason.startswith("GoHighLevel")):
        return CredentialStatus("Aesthetix CRM", "needs_attention", practice.status_reason)
    return CredentialStatus("Aesthetix CRM", "connected", "")


def credentials_status_read(*, practice: Practice) -> list[CredentialStatus]:
    return [_nextech_status(practice), _ghl_status(practice)]
