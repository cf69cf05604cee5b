"""What the every-minute alerts check knows about every practice, read in six queries.

The check used to open each practice's schema and recompute its health (17 statements a
practice, one practice after another: a minute's worth near 2,800 practices). Everything
it needs is already in the public schema: each tick publishes its practice's backlog as
gauges (`integrations.health.practice_gauges_record`), and status, credentials and the
alert watch live there too. So the check reads them all at once, whatever the number of
practices, and decides with a pure function.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tenants.models import (
    AlertWatch,
    Incident,
    NextechCallDay,
    NextechCredential,
    OpsMetric,
    Practice,
)
from tenants.schedule import POLLED_STATUSES

# Dead letters count as "growing" until a day passes without a new one.
DEAD_LETTERS_QUIET = timedelta(hours=24)
STALLED_INTERVALS = 3
REFRESH_WARNING = timedelta(days=4)
GAUGES = ("axc_dead_letters_open", "axc_last_success_timestamp_seconds", "axc_writes_paused")


@dataclass(frozen=True)
class AlertInputs:
    """One practice as the check sees it: public-schema facts only."""

    practice_id: int
    name: str
    status: str
    status_reason: str
    poll_interval_minutes: int  # the gap the poll plan chose last
    polled_since: datetime  # status change or creation: the clock for "no success yet"
    last_success_at: datetime | None
    dead_letters: int
    writes_paused: bool
    refresh_expires_at: datetime | None
    dead_letters_seen: int
    dead_letters_grew_at: datetime | None


@dataclass(frozen=True)
class AlertDecision:
    conditions: dict[str, str]  # incident kind -> detail for staff
    dead_letters_seen: int  # what the watch remembers for the next check
    dead_letters_grew_at: datetime | None


def alert_inputs_read(practices: Iterable[Practice]) -> list[AlertInputs]:
    """The inputs of the given practices: six queries, however many practices."""
    rows = list(practices)
    ids = [p.pk for p in rows]
    schemas = [p.schema_name for p in rows]
    refresh = dict(NextechCredential.objects.filter(practice_id__in=ids)
                   .values_list("practice_id", "refresh_expires_at"))
    gauges: dict[str, dict[str, float]] = defaultdict(dict)
    for schema, name, value in (OpsMetric.objects
                                .filter(kind=OpsMetric.Kind.GAUGE, name__in=GAUGES,
                                        practice__in=schemas)
                                .values_list("practice", "name", "value")):
        gauges[schema][name] = value
    watches = {w.practice_id: w for w in AlertWatch.objects.filter(practice_id__in=ids)}
    # The gap the poll plan chose last (30 min at night is not a stall): the latest day's.
    gaps = {practice_id: seconds for practice_id, seconds in (
        NextechCallDay.objects.filter(practice_id__in=ids, interval_seconds__isnull=False)
        .order_by("practice_id", "-day").distinct("practice_id")
        .values_list("practice_id", "interval_seconds")) if seconds}
    inputs = []
    for practice in rows:
        figures = gauges.get(practice.schema_name, {})
        last_success = figures.get("axc_last_success_timestamp_seconds")
        watch = watches.get(practice.pk)
        fast = practice.poll_interval_minutes
        gap = max(fast, round(gaps[practice.pk] / 60)) if practice.pk in gaps else fast
        inputs.append(AlertInputs(
            practice_id=practice.pk,
            name=practice.name,
            status=practice.status,
            status_reason=practice.status_reason,
            poll_interval_minutes=gap,
            polled_since=practice.status_changed_at or practice.created_at,
            last_success_at=datetime.fromtimestamp(last_success, UTC) if last_success else None,
            dead_letters=int(figures.get("axc_dead_letters_open", 0)),
            writes_paused=bool(figures.get("axc_writes_paused", 0)),
            refresh_expires_at=refresh.get(practice.pk),
            dead_letters_seen=watch.dead_letters_seen if watch else 0,
            dead_letters_grew_at=watch.dead_letters_grew_at if watch else None,
        ))
    return inputs


def poll_stalled(*, last_success_at: datetime | None, polled_since: datetime,
                 gap: timedelta, now: datetime) -> bool:
    """No successful poll for three of the gaps the poll plan leaves (30 minutes at night is
    not a stall): the one rule the alerts and the health pages both apply."""
    return now - (last_success_at or polled_since) > STALLED_INTERVALS * gap


def alert_decide(inputs: AlertInputs, *, now: datetime) -> AlertDecision:
    """The incident conditions that hold for one practice now, and the watch's new memory."""
    grew_at = now if inputs.dead_letters > inputs.dead_letters_seen else inputs.dead_letters_grew_at
    if inputs.status not in POLLED_STATUSES:
        return AlertDecision({}, inputs.dead_letters, grew_at)
    found: dict[str, str] = {}
    if inputs.status == Practice.Status.NEEDS_ATTENTION:
        found[Incident.Kind.NEEDS_ATTENTION] = inputs.status_reason or "Needs attention"
    lapses = inputs.refresh_expires_at
    if lapses and lapses - now < REFRESH_WARNING:
        found[Incident.Kind.REFRESH_LAPSING] = (
            f"The Nextech refresh token lapses at {lapses:%Y-%m-%d %H:%M} UTC; "
            "re-enter the Nextech credentials before then."
        )
    if poll_stalled(last_success_at=inputs.last_success_at, polled_since=inputs.polled_since,
                    gap=timedelta(minutes=inputs.poll_interval_minutes), now=now):
        found[Incident.Kind.STALLED] = (
            f"No successful poll since {inputs.last_success_at:%Y-%m-%d %H:%M} UTC"
            if inputs.last_success_at else "No successful poll yet"
        ) + f" (interval {inputs.poll_interval_minutes} min)."
    if inputs.dead_letters and grew_at and now - grew_at < DEAD_LETTERS_QUIET:
        found[Incident.Kind.DEAD_LETTERS] = (
            f"{inputs.dead_letters} dead letters wait for staff in the practice admin."
        )
    if inputs.writes_paused:
        found[Incident.Kind.RATE_LIMIT] = (
            "GoHighLevel's daily request limit is spent: CRM writes wait until it resets."
        )
    return AlertDecision(found, inputs.dead_letters, grew_at)
