"""When to poll a practice next, and how many Nextech calls its day will take (pure).

Nextech asks integrators not to bulk-sync, and a practice's API user may have a daily
call cap. Changes happen while the practice is open, so a practice is polled at its fast
interval during opening hours and at the slow one at night and on closed days. When a
daily call budget is set, the day's remaining polls are projected from the calls each
poll has been taking; if they would overshoot, the opening-hours interval is stretched
(whole minutes) until they fit, and only if the closed hours alone overshoot is the slow
interval stretched too. The budget day is the practice's local calendar day.

No Django here: plain values in, a `PollPlan` out, so the scheduler, the admin, the
portal and the benchmark all use the same arithmetic.
"""

from __future__ import annotations

import functools
import math
import re
import zoneinfo
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_OPENING_HOURS = "Mon-Sat 07:00-19:00"
DEFAULT_SLOW_INTERVAL = timedelta(minutes=30)
MIN_INTERVAL = timedelta(minutes=1)
DEFAULT_CALLS_PER_POLL = 3.0  # an idle tick with payments on: one search per resource

_LINE = re.compile(
    r"^(?:(?P<zone>[A-Za-z_]+/[A-Za-z0-9_+\-/]+|UTC)\s+)?"
    r"(?P<days>[A-Za-z,\-\s]+?)\s+(?P<opens>\d{1,2}:\d{2})\s*-\s*(?P<closes>\d{1,2}:\d{2})$"
)


@dataclass(frozen=True)
class OpeningHours:
    """One location's opening hours on some weekdays (0 = Monday), in its own time zone."""

    time_zone: str
    weekdays: frozenset[int]
    opens: time
    closes: time


@dataclass(frozen=True)
class PollPolicy:
    hours: tuple[OpeningHours, ...]
    day_zone: str  # whose midnight starts the budget day: the practice's time zone
    fast: timedelta
    slow: timedelta = DEFAULT_SLOW_INTERVAL
    daily_budget: int | None = None


@dataclass(frozen=True)
class PollPlan:
    planned_at: datetime  # the poll this plan follows
    next_poll_at: datetime
    interval: timedelta  # the one in force now
    open_now: bool
    fast: timedelta  # opening hours' interval after any stretching
    slow: timedelta
    stretched: bool  # the budget made an interval longer than configured
    calls_used: int
    projected_calls: int  # used so far plus the polls left today at this plan
    budget: int | None
    day_ends_at: datetime


class OpeningHoursError(ValueError):
    pass


def _clock(text: str) -> time:
    hours, minutes = (int(part) for part in text.split(":"))
    if hours == 24 and minutes == 0:
        return time.max
    if not (0 <= hours < 24 and 0 <= minutes < 60):
        raise OpeningHoursError(f"{text} is not a time of day")
    return time(hours, minutes)


def _weekdays(text: str) -> frozenset[int]:
    found: set[int] = set()
    for part in (p.strip().lower() for p in text.split(",")):
        ends = [e.strip()[:3] for e in part.split("-")]
        if len(ends) > 2 or any(e not in DAYS for e in ends):
            raise OpeningHoursError(f"{part!r} is not a day or a range of days (Mon-Sat)")
        first, last = DAYS.index(ends[0]), DAYS.index(ends[-1])
        found.update(range(first, last + 1) if first <= last else [*range(first, 7),
                                                                     *range(0, last + 1)])
    return frozenset(found)


@functools.cache
def _time_zones() -> frozenset[str]:
    # Read from the tz database on disk (a walk of thousands of files): once a process,
    # not once a tick, where it was a fifth of a worker's CPU.
    return frozenset(zoneinfo.available_timezones())


def time_zone_known(name: str) -> bool:
    return name in _time_zones()


def opening_hours_parse(text: str, *, default_zone: str) -> tuple[OpeningHours, ...]:
    """Read one rule per line: `[Time/Zone] Days HH:MM-HH:MM`, e.g. `Mon-Fri 08:00-18:00`
    or `America/Chicago Sat 09:00-13:00` for a location in another time zone."""
    rules: list[OpeningHours] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        match = _LINE.match(line)
        if match is None:
            raise OpeningHoursError(f"{line!r}: write it like 'Mon-Sat 07:00-19:00'")
        zone = match["zone"] or default_zone
        if not time_zone_known(zone):
            raise OpeningHoursError(f"{zone!r} is not a known time zone")
        opens, closes = _clock(match["opens"]), _clock(match["closes"])
        if closes <= opens:
            raise OpeningHoursError(f"{line!r}: closing comes before opening")
        rules.append(OpeningHours(time_zone=zone, weekdays=_weekdays(match["days"]),
                                  opens=opens, closes=closes))
    if not rules:
        raise OpeningHoursError("give at least one line of opening hours")
    return tuple(rules)


def _local(day: date, at: time, zone: zoneinfo.ZoneInfo) -> datetime:
    if at == time.max:  # "24:00": the next midnight, which DST may move
        return datetime.combine(day + timedelta(days=1), time(0), zone)
    return datetime.combine(day, at, zone)


def open_spans(hours: Iterable[OpeningHours], *, start: datetime, end: datetime
               ) -> list[tuple[datetime, datetime]]:
    """The moments in [start, end) when at least one location is open, merged, in order."""
    spans: list[tuple[datetime, datetime]] = []
    for rule in hours:
        zone = zoneinfo.ZoneInfo(rule.time_zone)
        day = start.astimezone(zone).date() - timedelta(days=1)
        while (opens := _local(day, rule.opens, zone)) < end:
            closes = _local(day, rule.closes, zone)
            if day.weekday() in rule.weekdays and closes > start:
                spans.append((max(opens, start), min(closes, end)))
            day += timedelta(days=1)
    merged: list[tuple[datetime, datetime]] = []
    for opens, closes in sorted(spans):
        if merged and opens <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], closes))
        else:
            merged.append((opens, closes))
    return merged


def budget_day_end(now: datetime, *, day_zone: str) -> datetime:
    """The next local midnight in the practice's zone (23 or 25 hours away on DST days)."""
    zone = zoneinfo.ZoneInfo(day_zone)
    return datetime.combine(now.astimezone(zone).date() + timedelta(days=1), time(0), zone)


def _next_poll(at: datetime, spans: Sequence[tuple[datetime, datetime]], *,
               fast: timedelta, slow: timedelta) -> tuple[datetime, bool]:
    """The poll after one at `at`, and whether `at` is in opening hours. A closed
    practice is polled when it opens rather than up to a slow interval later."""
    for opens, closes in spans:
        if opens <= at < closes:
            return at + fast, True
        if opens > at:
            return min(at + slow, opens), False
    return at + slow, False


def _polls_left(now: datetime, end: datetime, spans: Sequence[tuple[datetime, datetime]], *,
                fast: timedelta, slow: timedelta) -> int:
    count, at = 0, now
    while (at := _next_poll(at, spans, fast=fast, slow=slow)[0]) < end:
        count += 1
    return count


def _least_minutes(fits: Callable[[timedelta], bool], *, low: timedelta, high: timedelta
                   ) -> timedelta | None:
    """The shortest whole-minute interval in [low, high] that `fits`, or None."""
    lo, hi = math.ceil(low / MIN_INTERVAL), max(math.ceil(high / MIN_INTERVAL), 1)
    if not fits(hi * MIN_INTERVAL):
        return None
    while lo < hi:  # fewer polls as the interval grows (up to a boundary's rounding)
        mid = (lo + hi) // 2
        if fits(mid * MIN_INTERVAL):
            hi = mid
        else:
            lo = mid + 1
    return hi * MIN_INTERVAL


def poll_plan(*, policy: PollPolicy, now: datetime, calls_used_today: int,
              calls_per_poll: float) -> PollPlan:
    """The next poll after one at `now`, stretched to keep the day within the budget."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    fast, slow = max(policy.fast, MIN_INTERVAL), max(policy.slow, policy.fast, MIN_INTERVAL)
    per_poll = calls_per_poll if calls_per_poll > 0 else DEFAULT_CALLS_PER_POLL
    end = budget_day_end(now, day_zone=policy.day_zone)
    spans = open_spans(policy.hours, start=now, end=end)

    def projected(f: timedelta, s: timedelta) -> int:
        polls = _polls_left(now, end, spans, fast=f, slow=s)
        return calls_used_today + math.ceil(polls * per_poll)

    budget = policy.daily_budget
    stretched = False
    if budget is not None and projected(fast, slow) > budget:
        stretched = True
        day = end - now
        fits_fast = _least_minutes(lambda f: projected(f, slow) <= budget, low=fast, high=slow)
        if fits_fast is not None:
            fast = fits_fast
        else:  # the closed hours alone overshoot: one interval for the rest of the day
            both = _least_minutes(lambda f: projected(f, f) <= budget, low=slow, high=day)
            fast = slow = both if both is not None else day
    next_at, open_now = _next_poll(now, spans, fast=fast, slow=slow)
    if stretched and next_at > end:
        next_at = end  # a new budget day starts: plan it afresh then
    return PollPlan(
        planned_at=now,
        next_poll_at=next_at,
        interval=fast if open_now else slow,
        open_now=open_now,
        fast=fast,
        slow=slow,
        stretched=stretched,
        calls_used=calls_used_today,
        projected_calls=projected(fast, slow),
        budget=budget,
        day_ends_at=end,
    )
