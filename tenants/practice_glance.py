"""Every practice at a glance, for the agency home and the practice list.

Read from the public schema only (the gauges each tick publishes, `OpsMetric`, and the
open `Incident` rows), so the agency home costs the same few queries for 5 practices or
5,000; the per-schema figures stay on *Practice health*.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import Count, FloatField, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from integrations.health import STALLED_INTERVALS
from tenants.models import Incident, OpsMetric, Practice
from tenants.schedule import POLLED_STATUSES

LAST_SUCCESS = "axc_last_success_timestamp_seconds"
PENDING = "axc_outbox_pending"
DEAD = "axc_dead_letters_open"
BACKLOG_WARNING = 100  # CRM writes queued before the backlog counts as a problem


def duration_words(value: timedelta | None) -> str:
    """"12 min", "5 h", "3 days": how long, as staff read it."""
    if value is None:
        return "–"
    minutes = int(value.total_seconds() // 60)
    if minutes < 90:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // (24 * 60)} days"


def last_sync_words(last_success_at: datetime | None, *, now: datetime) -> str:
    return f"{duration_words(now - last_success_at)} ago" if last_success_at else "never"


def _gauge(name: str) -> Subquery:
    rows = OpsMetric.objects.filter(name=name, practice=OuterRef("schema_name"), label="")
    return Subquery(rows.values("value")[:1], output_field=FloatField())


def practices_glance_annotate(queryset: QuerySet[Practice]) -> QuerySet[Practice]:
    """The practices with their gauges and open-incident count, still one query."""
    open_incidents = (Incident.objects.filter(practice=OuterRef("pk"), resolved_at__isnull=True)
                      .order_by().values("practice").annotate(n=Count("id")).values("n"))
    return queryset.annotate(
        glance_last_success=_gauge(LAST_SUCCESS),
        glance_pending=Coalesce(_gauge(PENDING), 0.0),
        glance_dead=Coalesce(_gauge(DEAD), 0.0),
        glance_incidents=Coalesce(Subquery(open_incidents, output_field=IntegerField()), 0),
    )


@dataclass(frozen=True)
class PracticeGlance:
    practice_id: int
    name: str
    slug: str
    status: str
    status_label: str
    status_reason: str
    poll_interval_minutes: int
    polled_since: datetime  # when the practice last changed status (or was created)
    last_success_at: datetime | None
    outbox_pending: int
    dead_letters: int
    open_incidents: int
    incidents: tuple[str, ...] = ()  # the open incidents in staff's words, when read


@dataclass(frozen=True)
class Verdict:
    level: str  # "ok", "warning" or "problem"
    problems: tuple[str, ...]
    score: int  # sorts the worst first


def glance_from(practice: Practice, incidents: Sequence[str] = ()) -> PracticeGlance:
    """A practice annotated by `practices_glance_annotate`, as plain figures."""
    seconds = getattr(practice, "glance_last_success", None)
    return PracticeGlance(
        practice_id=practice.pk, name=practice.name, slug=practice.slug,
        status=practice.status, status_label=practice.get_status_display(),
        status_reason=practice.status_reason,
        poll_interval_minutes=practice.poll_interval_minutes,
        polled_since=practice.status_changed_at or practice.created_at,
        last_success_at=datetime.fromtimestamp(seconds, tz=UTC) if seconds else None,
        outbox_pending=int(getattr(practice, "glance_pending", 0) or 0),
        dead_letters=int(getattr(practice, "glance_dead", 0) or 0),
        open_incidents=len(incidents) or int(getattr(practice, "glance_incidents", 0) or 0),
        incidents=tuple(incidents),
    )


def glance_judge(glance: PracticeGlance, *, now: datetime) -> Verdict:
    """What is wrong with the practice, in staff's words, worst first. Pure."""
    found: list[tuple[int, str]] = []
    polled = glance.status in POLLED_STATUSES
    if glance.status == Practice.Status.NEEDS_ATTENTION:
        found.append((100, f"Needs attention: {glance.status_reason or 'see the practice'}"))
    since = glance.last_success_at or glance.polled_since
    if polled and now - since > timedelta(minutes=STALLED_INTERVALS * glance.poll_interval_minutes):
        found.append((80, "No successful sync for "
                          f"{STALLED_INTERVALS} poll intervals"))
    if glance.open_incidents:
        words = ", ".join(sorted(set(glance.incidents))) or str(glance.open_incidents)
        found.append((40 + 5 * glance.open_incidents, f"Open incidents: {words}"))
    if glance.dead_letters:
        found.append((min(30, 5 + glance.dead_letters),
                      f"{glance.dead_letters} dead letters to fix"))
    if glance.outbox_pending >= BACKLOG_WARNING:
        found.append((min(20, glance.outbox_pending // BACKLOG_WARNING),
                      f"{glance.outbox_pending} CRM writes queued"))
    found.sort(key=lambda item: -item[0])
    score = sum(points for points, _ in found)
    level = "problem" if score >= 40 else "warning" if score else "ok"
    return Verdict(level=level, problems=tuple(text for _, text in found), score=score)


def practices_attention_read(*, now: datetime,
                             practices: Iterable[Practice] | None = None
                             ) -> list[tuple[PracticeGlance, Verdict]]:
    """Every practice with its verdict, worst first: two queries whatever their number."""
    if practices is None:
        practices = practices_glance_annotate(
            Practice.objects.exclude(schema_name="public").order_by("name"))
    practices = list(practices)
    words: dict[int, list[str]] = defaultdict(list)
    for practice_id, kind in (Incident.objects.filter(resolved_at__isnull=True)
                              .order_by("opened_at").values_list("practice_id", "kind")):
        words[practice_id].append(Incident.Kind(kind).label)
    rows = []
    for practice in practices:
        glance = glance_from(practice, words.get(practice.pk, ()))
        rows.append((glance, glance_judge(glance, now=now)))
    return sorted(rows, key=lambda row: (-row[1].score, row[0].name.lower()))
