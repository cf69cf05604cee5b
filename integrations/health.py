"""Per-practice health figures: what the agency dashboard lists and the alerts watch.

Selectors only: they read each practice's schema (sync state, cursors, outbox, inbox,
recent ticks) and its credentials, and never write.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Min
from django.utils import timezone
from django_tenants.utils import schema_context

from axconnect.metrics import Sample, samples_write
from integrations.models import Cursor, InboxItem, OutboxOp, SyncLog, SyncState
from tenants.alert_conditions import REFRESH_WARNING, STALLED_INTERVALS, poll_stalled
from tenants.models import GhlCredential, NextechCredential, Practice
from tenants.poll_budget import practice_poll_gap
from tenants.schedule import practice_is_polled

# The tick writes this at the start of SyncState.last_error when GoHighLevel's daily
# quota stops writes (integrations.engine.tick).
WRITES_PAUSED_PREFIX = "GoHighLevel writes paused"
RECENT_TICKS = 20  # the window the error rate is measured over


@dataclass(frozen=True)
class PracticeHealth:
    practice_id: int
    name: str
    schema_name: str
    status: str
    status_reason: str
    poll_interval_minutes: int  # the gap the poll plan chose last (longer at night)
    last_success_at: datetime | None
    last_error: str
    cursor_lag: timedelta | None  # how far behind now the oldest resource cursor is
    outbox_pending: int
    outbox_oldest_pending_at: datetime | None
    dead_letters: int
    recent_ticks: int
    recent_failures: int
    nextech_refresh_expires_at: datetime | None
    ghl_access_expires_at: datetime | None
    stalled: bool
    refresh_lapsing: bool
    rate_limited: bool
    problems: tuple[str, ...] = field(default=())
    score: int = 0

    @property
    def error_rate(self) -> float | None:
        return self.recent_failures / self.recent_ticks if self.recent_ticks else None


def _stalled(practice: Practice, state: SyncState, now: datetime, gap: timedelta) -> bool:
    """No success for three poll intervals while the practice is meant to be polled (the
    interval its poll plan chose last: 30 minutes at night is not a stall)."""
    if not practice_is_polled(practice):
        return False
    return poll_stalled(last_success_at=state.last_success_at,
                        polled_since=practice.status_changed_at or practice.created_at,
                        gap=gap, now=now)


def _problems(h: PracticeHealth) -> tuple[tuple[str, ...], int]:
    """What is wrong, in words for staff, and a score that sorts the worst first."""
    found: list[tuple[int, str]] = []
    if h.status == Practice.Status.NEEDS_ATTENTION:
        found.append((100, f"Needs attention: {h.status_reason or 'see the practice'}"))
    if h.stalled:
        found.append((80, "Poller stalled: no successful poll for "
                          f"{STALLED_INTERVALS} intervals"))
    if h.refresh_lapsing:
        found.append((60, "Nextech refresh token lapses within 4 days"))
    if h.rate_limited:
        found.append((50, "GoHighLevel daily rate limit exhausted"))
    rate = h.error_rate
    if rate:
        found.append((int(40 * rate), f"{rate:.0%} of the last {h.recent_ticks} polls failed"))
    if h.dead_letters:
        found.append((min(30, 5 + h.dead_letters), f"{h.dead_letters} dead letters"))
    if h.outbox_pending >= 100:
        found.append((min(20, h.outbox_pending // 100), f"{h.outbox_pending} CRM writes queued"))
    return tuple(text for _, text in found), sum(points for points, _ in found)


def practice_health(*, practice: Practice, now: datetime | None = None) -> PracticeHealth:
    """The figures of one practice, read in its schema."""
    now = now or timezone.now()
    # Only the dates: loading the rows would decrypt secrets nobody asked for.
    refresh_at = (NextechCredential.objects.filter(practice=practice)
                  .values_list("refresh_expires_at", flat=True).first())
    ghl_access_at = (GhlCredential.objects.filter(practice=practice)
                     .values_list("access_expires_at", flat=True).first())
    with schema_context(practice.schema_name):
        state = SyncState.objects.filter(pk=1).first() or SyncState()
        oldest_cursor = Cursor.objects.aggregate(oldest=Min("position"))["oldest"]
        pending = OutboxOp.objects.filter(state=OutboxOp.State.PENDING)
        pending_count = pending.count()
        oldest_pending = pending.aggregate(oldest=Min("created_at"))["oldest"]
        dead = (InboxItem.objects.filter(state=InboxItem.State.DEAD).count()
                + OutboxOp.objects.filter(state=OutboxOp.State.DEAD).count())
        levels = list(SyncLog.objects.filter(kind="tick").order_by("-created_at", "-id")
                      .values_list("level", flat=True)[:RECENT_TICKS])
    gap = practice_poll_gap(practice=practice)
    health = PracticeHealth(
        practice_id=practice.pk,
        name=practice.name,
        schema_name=practice.schema_name,
        status=practice.status,
        status_reason=practice.status_reason,
        poll_interval_minutes=round(gap.total_seconds() / 60),
        last_success_at=state.last_success_at,
        last_error=state.last_error,
        cursor_lag=(now - oldest_cursor) if oldest_cursor else None,
        outbox_pending=pending_count,
        outbox_oldest_pending_at=oldest_pending,
        dead_letters=dead,
        recent_ticks=len(levels),
        recent_failures=sum(1 for level in levels if level != SyncLog.Level.INFO),
        nextech_refresh_expires_at=refresh_at,
        ghl_access_expires_at=ghl_access_at,
        stalled=_stalled(practice, state, now, gap),
        refresh_lapsing=bool(refresh_at and refresh_at - now < REFRESH_WARNING),
        rate_limited=state.last_error.startswith(WRITES_PAUSED_PREFIX),
    )
    problems, score = _problems(health)
    return PracticeHealth(**{**health.__dict__, "problems": problems, "score": score})


def agency_health(
    *, practices: Iterable[Practice] | None = None, now: datetime | None = None
) -> list[PracticeHealth]:
    """Every practice's figures, worst first (then by name)."""
    now = now or timezone.now()
    if practices is None:
        practices = Practice.objects.exclude(schema_name="public").order_by("name")
    rows = [practice_health(practice=p, now=now) for p in practices]
    return sorted(rows, key=lambda h: (-h.score, h.name.lower()))


def _backlog_read() -> tuple[int, int, datetime | None, bool]:
    """Pending writes, dead letters, last success and whether GoHighLevel's quota holds
    writes back, in the current practice schema: one statement (the tick's last)."""
    outbox, inbox, state = (OutboxOp._meta.db_table, InboxItem._meta.db_table,
                            SyncState._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT count(*) FROM {outbox} WHERE state = %s),"  # noqa: S608
            f" (SELECT count(*) FROM {outbox} WHERE state = %s)"
            f" + (SELECT count(*) FROM {inbox} WHERE state = %s),"
            f" (SELECT last_success_at FROM {state} WHERE id = 1),"
            f" coalesce((SELECT starts_with(last_error, %s) FROM {state} WHERE id = 1), false)",
            [OutboxOp.State.PENDING, OutboxOp.State.DEAD, InboxItem.State.DEAD,
             WRITES_PAUSED_PREFIX],
        )
        pending, dead, last_success, paused = cursor.fetchone()
    return int(pending), int(dead), last_success, bool(paused)


def practice_gauges_record(*, practice: Practice, counters: Iterable[Sample] = ()) -> None:
    """Publish the practice's backlog figures as Prometheus gauges (after each tick), with
    the tick's counters if given: one read and one write, whatever the number of samples."""
    schema = practice.schema_name
    # After a tick the connection is in the schema already; entering it again would make
    # django-tenants set the search path anew on the way in and again on the way out.
    within: AbstractContextManager[object] = (
        nullcontext() if connection.schema_name == schema  # type: ignore[attr-defined]
        else schema_context(schema))
    with within:
        pending, dead, last_success, paused = _backlog_read()
    samples = [*counters,
               Sample("axc_outbox_pending", schema, pending),
               Sample("axc_dead_letters_open", schema, dead),
               Sample("axc_writes_paused", schema, float(paused))]
    if last_success:
        samples.append(Sample("axc_last_success_timestamp_seconds", schema,
                              last_success.timestamp()))
    samples_write(samples)
