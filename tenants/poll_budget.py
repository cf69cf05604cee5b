"""A practice's poll plan (tenants.poll_plan) from its settings and today's Nextech calls;
recording what a poll cost and scheduling the next poll from the plan."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.utils import timezone

from tenants.models import NextechCallDay, Practice
from tenants.poll_plan import (
    DEFAULT_CALLS_PER_POLL,
    PollPlan,
    PollPolicy,
    opening_hours_parse,
    poll_plan,
)
from tenants.schedule import practice_schedule_next_run_set

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CallsToday:
    calls: int
    polls: int
    calls_per_poll: float  # today's average, else the latest day's, else an idle tick's


@dataclass(frozen=True)
class CallDay:
    """One practice's NextechCallDay row, as the plan reads it."""

    day: date
    calls: int
    polls: int
    interval_seconds: int | None


def practice_poll_policy(*, practice: Practice) -> PollPolicy:
    return PollPolicy(
        hours=opening_hours_parse(practice.opening_hours, default_zone=practice.time_zone),
        day_zone=practice.time_zone,
        fast=timedelta(minutes=practice.poll_interval_minutes),
        slow=timedelta(minutes=practice.slow_poll_interval_minutes),
        daily_budget=practice.nextech_daily_call_budget,
    )


def practice_local_day(*, practice: Practice, at: datetime) -> date:
    return at.astimezone(ZoneInfo(practice.time_zone)).date()


def calls_today(*, latest: CallDay | None, today: date) -> CallsToday:
    """Today's calls from the practice's latest day up to today (None: no day yet)."""
    per_poll = latest.calls / latest.polls if latest and latest.polls else DEFAULT_CALLS_PER_POLL
    if latest is None or latest.day != today:
        return CallsToday(calls=0, polls=0, calls_per_poll=per_poll)
    return CallsToday(calls=latest.calls, polls=latest.polls, calls_per_poll=per_poll)


def practice_calls_today(*, practice: Practice, now: datetime) -> CallsToday:
    today = practice_local_day(practice=practice, at=now)
    latest = (NextechCallDay.objects.filter(practice=practice, day__lte=today)
              .order_by("-day").values_list("day", "calls", "polls", "interval_seconds")
              .first())
    return calls_today(latest=CallDay(*latest) if latest else None, today=today)


def _plan(*, practice: Practice, now: datetime, today: CallsToday) -> PollPlan:
    return poll_plan(policy=practice_poll_policy(practice=practice), now=now,
                     calls_used_today=today.calls, calls_per_poll=today.calls_per_poll)


def practice_poll_plan(*, practice: Practice, now: datetime) -> PollPlan:
    """The plan after a poll at `now`, with the calls counted so far today."""
    return _plan(practice=practice, now=now,
                 today=practice_calls_today(practice=practice, now=now))


# One statement, so a webhook's NXT-Create calls and a tick's add up whatever the order,
# and the day's totals come back without reading the row again.
_RECORD = """
    INSERT INTO tenants_nextechcallday (practice_id, day, calls, polls, updated_at)
    VALUES (%s, %s, %s, %s, %s)
    ON CONFLICT (practice_id, day) DO UPDATE SET
        calls = tenants_nextechcallday.calls + EXCLUDED.calls,
        polls = tenants_nextechcallday.polls + EXCLUDED.polls,
        updated_at = EXCLUDED.updated_at
    RETURNING calls, polls, interval_seconds
"""


def nextech_calls_record(*, practice: Practice, calls: int, polls: int, at: datetime
                         ) -> CallDay:
    """Add requests sent to Nextech (and the polls that sent them) to the practice's day;
    the day as it stands after."""
    day = practice_local_day(practice=practice, at=at)
    with connection.cursor() as cursor:
        cursor.execute(_RECORD, [practice.pk, day, calls, polls, timezone.now()])
        total_calls, total_polls, interval_seconds = cursor.fetchone()
    return CallDay(day=day, calls=total_calls, polls=total_polls,
                   interval_seconds=interval_seconds)


def practice_poll_finished(*, practice: Practice, summary: Mapping[str, Any],
                           slot: datetime | None, now: datetime) -> PollPlan:
    """Count the tick's Nextech requests and, for a poll its schedule fired, move the
    practice's next poll to the plan's (a poll run by hand leaves the schedule alone).

    Planned from the slot the scheduler fired, not from when the tick started, so a
    1-minute practice is polled every minute and not every minute plus the pickup delay.
    A slot so late that its plan is already due is not replayed: the plan starts now.
    """
    day = nextech_calls_record(practice=practice, calls=int(summary.get("nextech_calls") or 0),
                               polls=1, at=now)
    today = calls_today(latest=day, today=day.day)
    at = slot or now
    if practice_local_day(practice=practice, at=at) == day.day:
        plan = _plan(practice=practice, now=at, today=today)
    else:  # a slot fired before the practice's midnight: its own day's calls
        plan = practice_poll_plan(practice=practice, now=at)
    if plan.next_poll_at <= now:
        plan = _plan(practice=practice, now=now, today=today)
    seconds = int((plan.next_poll_at - plan.planned_at).total_seconds())
    if seconds != day.interval_seconds:  # most polls keep the last one's: no write then
        NextechCallDay.objects.filter(practice=practice, day=day.day).update(
            interval_seconds=seconds)
    if slot is not None:
        practice_schedule_next_run_set(practice=practice, at=plan.next_poll_at)
    return plan


def practice_poll_gap(*, practice: Practice) -> timedelta:
    """How long the latest plan left between two polls (the health checks' yardstick);
    the opening-hours interval until a poll has been planned."""
    seconds = (NextechCallDay.objects.filter(practice=practice, interval_seconds__isnull=False)
               .order_by("-day").values_list("interval_seconds", flat=True).first())
    fast = timedelta(minutes=practice.poll_interval_minutes)
    return max(fast, timedelta(seconds=seconds)) if seconds else fast


def budget_line(plan: PollPlan) -> str:
    """What the portal says while the budget holds polling back; empty otherwise."""
    if not plan.stretched or plan.budget is None:
        return ""
    minutes = round(plan.fast / timedelta(minutes=1))
    if plan.next_poll_at >= plan.day_ends_at and plan.projected_calls == plan.calls_used:
        return (f"Today's {plan.budget:,} Nextech calls are used up: polling resumes at "
                "midnight")
    return (f"Polling every {minutes} min to stay within {plan.budget:,} Nextech calls "
            "today")


def practice_calls_summary(*, practice: Practice, now: datetime) -> str:
    """Calls used today and the day's projection, as the agency admin shows them."""
    today = practice_calls_today(practice=practice, now=now)
    plan = _plan(practice=practice, now=now, today=today)
    budget = f" of the {plan.budget:,} budget" if plan.budget is not None else ""
    text = (f"{today.calls:,} used in {today.polls:,} polls; {plan.projected_calls:,}"
            f"{budget} projected by midnight at {today.calls_per_poll:.1f} per poll")
    line = budget_line(plan)
    return f"{text}. {line}." if line else f"{text}."
