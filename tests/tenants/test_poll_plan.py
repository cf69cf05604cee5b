"""The poll plan: opening hours, time zones, DST days and the daily Nextech call budget."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tenants.poll_plan import (
    DEFAULT_OPENING_HOURS,
    OpeningHoursError,
    PollPolicy,
    opening_hours_parse,
    poll_plan,
)

NY = "America/New_York"
LA = "America/Los_Angeles"
MIN = timedelta(minutes=1)


def _policy(*, zone: str = NY, hours: str = DEFAULT_OPENING_HOURS, fast: int = 5,
            slow: int = 30, budget: int | None = None) -> PollPolicy:
    return PollPolicy(hours=opening_hours_parse(hours, default_zone=zone), day_zone=zone,
                      fast=fast * MIN, slow=slow * MIN, daily_budget=budget)


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# (what, policy, now in UTC, next poll in UTC, open now)
NEXT_POLL = [
    ("open: Tuesday 10:00 in New York", _policy(), "2026-06-09 14:00", "2026-06-09 14:05", True),
    ("closed: Tuesday 22:00", _policy(), "2026-06-10 02:00", "2026-06-10 02:30", False),
    ("closed until opening, 06:50 -> 07:00", _policy(), "2026-06-09 10:50", "2026-06-09 11:00",
     False),
    ("the last poll of the day lands on closing time", _policy(), "2026-06-09 22:57",
     "2026-06-09 23:02", True),
    ("Sunday is closed all day", _policy(), "2026-06-07 16:00", "2026-06-07 16:30", False),
    ("1-minute fast interval", _policy(fast=1), "2026-06-09 14:00", "2026-06-09 14:01", True),
    ("Los Angeles practice at 06:45 local waits for 07:00 local", _policy(zone=LA),
     "2026-06-09 13:45", "2026-06-09 14:00", False),
    ("Los Angeles practice open at 14:00 local", _policy(zone=LA), "2026-06-09 21:00",
     "2026-06-09 21:05", True),
    ("a Los Angeles location keeps a New York practice open after 19:00 New York",
     _policy(hours=f"{DEFAULT_OPENING_HOURS}\n{LA} Mon-Fri 09:00-17:00"),
     "2026-06-09 23:30", "2026-06-09 23:35", True),
    ("Saturday-only line", _policy(hours="Sat 09:00-13:00"), "2026-06-09 14:00",
     "2026-06-09 14:30", False),
    ("DST: Monday after spring forward opens at 11:00 UTC", _policy(), "2026-03-09 10:50",
     "2026-03-09 11:00", False),
    ("before DST the same local 05:50 is an hour later in UTC", _policy(), "2026-03-06 10:50",
     "2026-03-06 11:20", False),
]


@pytest.mark.parametrize(("now", "expected", "open_now", "policy"),
                         [(row[2], row[3], row[4], row[1]) for row in NEXT_POLL],
                         ids=[row[0] for row in NEXT_POLL])
def test_next_poll_follows_opening_hours(now, expected, open_now, policy):
    plan = poll_plan(policy=policy, now=_utc(now), calls_used_today=0, calls_per_poll=3)
    assert plan.next_poll_at == _utc(expected)
    assert plan.open_now is open_now
    assert plan.interval == (policy.fast if open_now else policy.slow)
    assert not plan.stretched


# (what, policy, now in UTC, calls used, calls per poll,
#  opening-hours interval in minutes, slow interval in minutes, projected calls, stretched)
BUDGET = [
    # Monday 07:00 New York, 1-minute polls: 720 open polls + 9 at night = 2,187 calls.
    ("no budget: the day at 1 minute", _policy(fast=1), "2026-06-08 11:00", 0, 3, 1, 30,
     (720 + 9) * 3, False),
    # At 3 min: 240 polls up to 19:00, 9 after it (19:30 .. 23:30) = 747 calls; 2 min is 1,107.
    ("1,000-call budget stretches 1 min to 3 min", _policy(fast=1, budget=1000),
     "2026-06-08 11:00", 0, 3, 3, 30, 747, True),
    ("a budget the day fits in changes nothing", _policy(fast=5, budget=1000),
     "2026-06-08 11:00", 0, 3, 5, 30, (144 + 9) * 3, False),
    # 13:00 with 900 used: 100 left = 33 polls for 6 h open + 9 at night -> 24 polls in 6 h.
    ("calls already used shrink what is left", _policy(fast=1, budget=1000),
     "2026-06-08 17:00", 900, 3, 15, 30, 900 + (24 + 9) * 3, True),
    # 19:00, 20 calls left = 6 polls in 5 h: even 30 min is 9, so both become 43 min.
    ("closed hours alone overshoot: the slow interval stretches too",
     _policy(fast=1, budget=20), "2026-06-08 23:00", 0, 3, 43, 43, 18, True),
    ("budget spent: no more polls until the next day", _policy(fast=1, budget=1000),
     "2026-06-08 23:00", 1000, 3, 300, 300, 1000, True),
    # Sunday 8 March 2026 has 23 hours in New York: 45 half-hourly polls after midnight.
    ("DST spring-forward day has 23 hours", _policy(), "2026-03-08 05:00", 0, 1, 5, 30, 45,
     False),
    ("DST fall-back day has 25 hours", _policy(), "2026-11-01 04:00", 0, 1, 5, 30, 49, False),
]


@pytest.mark.parametrize(("now", "used", "per_poll", "fast", "slow", "projected", "stretched",
                          "policy"),
                         [(*row[2:], row[1]) for row in BUDGET], ids=[row[0] for row in BUDGET])
def test_budget_projection_and_stretching(now, used, per_poll, fast, slow, projected, stretched,
                                          policy):
    plan = poll_plan(policy=policy, now=_utc(now), calls_used_today=used,
                     calls_per_poll=per_poll)
    assert (plan.fast, plan.slow) == (fast * MIN, slow * MIN)
    assert plan.projected_calls == projected
    assert plan.stretched is stretched
    if policy.daily_budget is not None and used <= policy.daily_budget:
        assert plan.projected_calls <= policy.daily_budget


def test_a_spent_budget_waits_for_the_next_local_midnight():
    plan = poll_plan(policy=_policy(fast=1, budget=1000), now=_utc("2026-06-08 23:00"),
                     calls_used_today=1000, calls_per_poll=3)
    assert plan.next_poll_at == _utc("2026-06-09 04:00") == plan.day_ends_at


def test_the_stretched_interval_is_the_shortest_that_fits():
    policy = _policy(fast=1, budget=1000)
    plan = poll_plan(policy=policy, now=_utc("2026-06-08 11:00"), calls_used_today=0,
                     calls_per_poll=3)
    shorter = poll_plan(policy=_policy(fast=2), now=_utc("2026-06-08 11:00"),
                        calls_used_today=0, calls_per_poll=3)
    assert shorter.projected_calls > 1000 >= plan.projected_calls


@pytest.mark.parametrize(("text", "weekdays", "zone"), [
    ("Mon-Sat 07:00-19:00", {0, 1, 2, 3, 4, 5}, NY),
    ("Mon,Wed,Fri 08:00-12:00", {0, 2, 4}, NY),
    ("Fri-Mon 08:00-12:00", {4, 5, 6, 0}, NY),
    (f"{LA} Sat 09:00-13:00", {5}, LA),
    ("sunday 10:00-24:00", {6}, NY),
])
def test_opening_hours_read(text, weekdays, zone):
    (rule,) = opening_hours_parse(text, default_zone=NY)
    assert rule.weekdays == weekdays
    assert rule.time_zone == zone


@pytest.mark.parametrize("text", ["", "Mon-Sat", "Funday 07:00-19:00", "Mon 19:00-07:00",
                                  "Mars/Olympus Mon 07:00-19:00", "Mon 07:00-25:00"])
def test_opening_hours_refused(text):
    with pytest.raises(OpeningHoursError):
        opening_hours_parse(text, default_zone=NY)
