"""The dashboard's charts as numbers: events and failures per day, contacts by stage."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, QuerySet
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce, TruncDate

from integrations.categories import PIPELINE_LABELS, Pipeline, Stage
from integrations.models import ContactSnapshot, InboxItem, SyncLog

CHART_DAYS = 30


@dataclass(frozen=True)
class DayCount:
    day: date
    events: int
    failures: int


@dataclass(frozen=True)
class StageCount:
    stage: str
    contacts: int


@dataclass(frozen=True)
class PipelineCounts:
    pipeline: str
    stages: list[StageCount]

    @property
    def contacts(self) -> int:
        return sum(stage.contacts for stage in self.stages)


def _per_day(rows: QuerySet[Any], moment: str, zone: ZoneInfo) -> Counter[date]:
    """How many of `rows` fall on each of the practice's days, by their `moment` field."""
    counts = (rows.annotate(day=TruncDate(moment, tzinfo=zone)).values("day")
              .annotate(n=Count("id")).values_list("day", "n"))
    return Counter(dict(counts))


def daily_counts_read(*, time_zone: str, today: date, days: int = CHART_DAYS) -> list[DayCount]:
    """Per day of the practice, the last `days` up to `today`: events by when they happened
    in Nextech, failures (dead letters, failed NXT-Creates) by when they failed."""
    zone = ZoneInfo(time_zone)
    first = today - timedelta(days=days - 1)
    since = datetime.combine(first, time.min, zone)
    events = SyncLog.objects.filter(kind="event").annotate(
        at=Coalesce("occurred_at", "created_at")).filter(at__gte=since)
    failed_writes = SyncLog.objects.filter(
        Q(kind="dead_letter") | Q(kind="nxt_create", details__status="failed"),
        created_at__gte=since)
    # A Nextech change AX Connect could not take in has no sync-log row: the inbox keeps it.
    failed_reads = InboxItem.objects.filter(state=InboxItem.State.DEAD, received_at__gte=since)
    per_day_events = _per_day(events, "at", zone)
    failures = (_per_day(failed_writes, "created_at", zone)
                + _per_day(failed_reads, "received_at", zone))
    return [DayCount(day, per_day_events[day], failures[day])
            for day in (first + timedelta(days=n) for n in range(days))]


def pipeline_counts_read() -> list[PipelineCounts]:
    """Contacts in each stage of each pipeline, as AX Connect last set them."""
    found = []
    for pipeline in Pipeline:
        stage_of = KT(f"state__opportunities__{pipeline.value}__stage")
        counts = dict(ContactSnapshot.objects.annotate(stage=stage_of).exclude(stage=None)
                      .values_list("stage").annotate(n=Count("id")).values_list("stage", "n"))
        found.append(PipelineCounts(PIPELINE_LABELS[pipeline], [
            StageCount(stage.label, counts.get(stage.value, 0))
            for stage in Stage if stage.pipeline is pipeline]))
    return found
