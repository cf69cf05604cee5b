"""Read: Nextech changes into the inbox, advancing each cursor in the same transaction.

A change seen twice is stored once (unique on resource, id, version). The cursor moves
only when a scan has reached its last page, and never past the moment the scan began.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction

from integrations.clock import Clock
from integrations.engine.crashpoints import crashpoint
from integrations.engine.records import record_encode
from integrations.models import Cursor, InboxItem
from integrations.nextech import parse
from integrations.nextech.client import NextechClient
from integrations.nextech.resources import NextechParseError

log = logging.getLogger(__name__)

# Re-read this much before the cursor: covers clock skew between Nextech and us, and
# changes Nextech stamps when they begin but commits later (a long save), which a scan
# already past their stamp would otherwise never see. A change re-read in the window is
# the same version and is stored once (see `_store`), so the cost of a wide window is
# only the pages a quiet tick re-reads.
OVERLAP = timedelta(minutes=5)
# Bounds one tick's reading; an unfinished scan resumes on the next tick.
MAX_PAGES_PER_RESOURCE = 40

APPOINTMENTS, PATIENTS, PAYMENTS = "Appointment", "Patient", "PaymentReconciliation"
BACKFILL = "backfill:Appointment"
BACKFILL_PAGES_PER_TICK = 10
# What a scan moves: saving only these keeps the tick's most frequent write short.
_SCAN_FIELDS = ["position", "resume_link", "scan_started_at", "updated_at"]
_BACKFILL_FIELDS = [*_SCAN_FIELDS, "items_read", "items_total"]
PARSERS: dict[str, Any] = {
    APPOINTMENTS: parse.appointment_parse,
    PATIENTS: parse.patient_parse,
    PAYMENTS: parse.payment_parse,
}


@dataclass
class ReadResult:
    stored: int = 0
    duplicates: int = 0
    dead: int = 0
    pages: int = 0
    complete: dict[str, bool] = field(default_factory=dict)


def _versioned(record: Any) -> tuple[str, dict[str, Any] | None]:
    """The record's version, and its encoding when the version took one."""
    if getattr(record, "last_updated", None) is not None:
        return record.last_updated.isoformat(), None
    # Servers before 14.3 send no lastUpdated: a digest tells versions apart instead.
    encoded = record_encode(record)
    digest = hashlib.sha256(json.dumps(encoded, sort_keys=True).encode()).hexdigest()[:32]
    return "sha:" + digest, encoded


def _store(
    resource: str, records: Iterable[Any], errors: Iterable[NextechParseError], result: ReadResult
) -> None:
    """Insert a page's new versions (unreadable entries as dead letters).

    Only a version not stored yet is encoded and made a row: most of a quiet tick's page
    is the overlap (see OVERLAP) read again.
    """
    versions = [(record, *_versioned(record)) for record in records]
    dead = []
    for error in errors:
        # Kept with its reason, visible and replayable; the rest of the page goes on.
        digest = hashlib.sha256(str(error).encode()).hexdigest()[:32]
        dead.append(
            InboxItem(
                resource=resource,
                external_id=error.resource_id or "?",
                version="dead:" + digest,
                payload={},
                state=InboxItem.State.DEAD,
                error=str(error)[:500],
            )
        )
    ids = {record.id for record, _, _ in versions} | {row.external_id for row in dead}
    known = set(
        InboxItem.objects.filter(resource=resource, external_id__in=ids).values_list(
            "external_id", "version")
    )
    fresh = [
        InboxItem(
            resource=resource,
            external_id=record.id,
            version=version,
            last_updated=record.last_updated,
            payload=record_encode(record) if encoded is None else encoded,
        )
        for record, version, encoded in versions
        if (record.id, version) not in known
    ]
    fresh_dead = [row for row in dead if (row.external_id, row.version) not in known]
    # ignore_conflicts still guards a concurrent insert (the tick lock should prevent one).
    InboxItem.objects.bulk_create([*fresh, *fresh_dead], ignore_conflicts=True)
    result.stored += len(fresh)
    result.dead += len(fresh_dead)
    result.duplicates += len(versions) + len(dead) - len(fresh) - len(fresh_dead)


def _scan_position(cursor: Cursor, *, since_default: datetime) -> datetime:
    return (cursor.position or since_default) - OVERLAP


def resource_read(
    *,
    client: NextechClient,
    resource: str,
    clock: Clock,
    since_default: datetime,
    result: ReadResult,
    max_pages: int = MAX_PAGES_PER_RESOURCE,
    cursor: Cursor | None = None,
) -> None:
    """Read one resource's changes from its cursor (`cursor`: already read this tick)."""
    if cursor is None:
        cursor, _ = Cursor.objects.get_or_create(resource=resource)
    if not cursor.resume_link:
        cursor.scan_started_at = clock.now()
    feed = client.changes_poll(
        resource=resource,
        parser=PARSERS[resource],
        since=_scan_position(cursor, since_default=since_default),
        max_pages=max_pages,
        resume_link=cursor.resume_link or None,
    )
    ended = False  # the scan's end written with its last page
    for page in feed:
        # No next page: the scan ends with this one, and the cursor moves in the same
        # write that stores the page (one UPDATE, not one for the page and one for the end).
        ended = feed.resume_link is None
        with transaction.atomic():
            _store(resource, page.items, page.errors, result)
            if ended:
                _scan_end(cursor, clock)
            else:
                cursor.resume_link = feed.resume_link or ""
            cursor.save(update_fields=_SCAN_FIELDS)
        crashpoint("read.page_stored")
        result.pages += 1
    if not ended:
        with transaction.atomic():
            if feed.complete:
                _scan_end(cursor, clock)
            cursor.save(update_fields=_SCAN_FIELDS)
    result.complete[resource] = feed.complete


def _scan_end(cursor: Cursor, clock: Clock) -> None:
    # Everything stamped before the scan began has been read; what changed since carries
    # a newer stamp and is caught by the next scan (from here less the overlap). Not the
    # newest stamp read: a quiet practice would then re-read its last changes every tick.
    cursor.position = cursor.scan_started_at or clock.now()
    cursor.resume_link = ""
    cursor.scan_started_at = None


def backfill_start(*, start: date, end: date, clock: Clock) -> Cursor:
    """Queue a backfill of appointments dated in [start, end]; ticks work through it."""
    cursor, _ = Cursor.objects.update_or_create(resource=BACKFILL, defaults={
        "window_start": start, "window_end": end, "resume_link": "", "position": None,
        "scan_started_at": clock.now(), "items_read": 0, "items_total": None})
    return cursor


def backfill_pending() -> Cursor | None:
    return Cursor.objects.filter(resource=BACKFILL, position__isnull=True).first()


def cursors_read() -> dict[str, Cursor]:
    """Every cursor of the practice by resource, in one query (the tick holds its lock,
    so nobody else moves them meanwhile)."""
    return {cursor.resource: cursor for cursor in Cursor.objects.all()}


def backfill_read(*, client: NextechClient, clock: Clock, result: ReadResult,
                  max_pages: int = BACKFILL_PAGES_PER_TICK,
                  cursors: dict[str, Cursor] | None = None) -> None:
    """A bounded share of the backfill per tick: throttled, and resumable after anything.
    `cursors`: the practice's cursors already read this tick (`cursors_read`)."""
    if cursors is None:
        cursor = backfill_pending()
    else:
        cursor = cursors.get(BACKFILL)
        cursor = cursor if cursor is not None and cursor.position is None else None
    if cursor is None or cursor.window_start is None or cursor.window_end is None:
        return
    feed = client.appointments_between(start=cursor.window_start, end=cursor.window_end,
                                       max_pages=max_pages, resume_link=cursor.resume_link or None)
    for page in feed:
        with transaction.atomic():
            _store(APPOINTMENTS, page.items, page.errors, result)
            cursor.resume_link = feed.resume_link or ""
            # Progress for staff: entries read of the total the search reports (when it does).
            cursor.items_read += page.entry_count
            if page.total is not None:
                cursor.items_total = page.total
            cursor.save(update_fields=_BACKFILL_FIELDS)
        result.pages += 1
    if feed.complete:
        cursor.position, cursor.resume_link = clock.now(), ""
        cursor.save(update_fields=_BACKFILL_FIELDS)
    result.complete[BACKFILL] = feed.complete


def changes_read(
    *, client: NextechClient, clock: Clock, payments: bool, since_default: datetime,
    cursors: dict[str, Cursor] | None = None,
) -> ReadResult:
    """Read every resource the practice syncs; returns what was stored. `cursors`: the
    practice's cursors already read this tick (`cursors_read`); missing ones are made."""
    result = ReadResult()
    resources = [APPOINTMENTS, PATIENTS] + ([PAYMENTS] if payments else [])
    for resource in resources:
        resource_read(
            client=client,
            resource=resource,
            clock=clock,
            since_default=since_default,
            result=result,
            cursor=(cursors or {}).get(resource),
        )
    return result
