"""The poll plan at work: the next poll after a tick, and the calls the agency admin shows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from django_q.models import Schedule

from integrations.tasks import practice_poll
from tenants.models import NextechCallDay, Practice
from tenants.poll_budget import nextech_calls_record, practice_poll_finished, practice_poll_gap
from tenants.services import practice_set_status
from tests.support.poll import practice_hours_set


def _next_run(practice: Practice) -> datetime:
    return Schedule.objects.get(name=f"poll:{practice.schema_name}").next_run


@pytest.fixture
def recording_tick(settings):
    settings.AXC_TICK_FUNCTION = "tests.support.ticks.recording_tick"


def test_in_opening_hours_the_next_poll_is_one_fast_interval_after_the_slot(
        practice_a, recording_tick):
    practice_hours_set(practice_a, local_hour=12, poll_interval_minutes=1)
    slot = timezone.now().replace(microsecond=0) - timedelta(seconds=20)

    result = practice_poll(practice_a.schema_name, slot=slot.isoformat())

    assert _next_run(practice_a) == slot + timedelta(minutes=1)
    assert result["next_poll_at"] == (slot + timedelta(minutes=1)).isoformat()


def test_at_night_the_next_poll_is_one_slow_interval_later(practice_a, recording_tick):
    practice_hours_set(practice_a, local_hour=2, slow_poll_interval_minutes=30)
    slot = timezone.now().replace(microsecond=0)

    practice_poll(practice_a.schema_name, slot=slot.isoformat())

    assert _next_run(practice_a) == slot + timedelta(minutes=30)


def test_a_slot_missed_long_ago_is_not_replayed(practice_a, recording_tick):
    practice_hours_set(practice_a, local_hour=12, poll_interval_minutes=5)
    before = timezone.now()

    practice_poll(practice_a.schema_name, slot=(before - timedelta(hours=1)).isoformat())

    assert before + timedelta(minutes=5) <= _next_run(practice_a) <= (
        timezone.now() + timedelta(minutes=5))


def test_a_paused_practice_is_neither_polled_nor_rescheduled(practice_a, recording_tick):
    practice_hours_set(practice_a, local_hour=12)
    practice_set_status(practice=practice_a, status=Practice.Status.PAUSED, reason="Holiday")
    planned = _next_run(practice_a)

    result = practice_poll(practice_a.schema_name, slot=timezone.now().isoformat())

    assert result["skipped"] == "status is paused"
    assert _next_run(practice_a) == planned
    assert not NextechCallDay.objects.filter(practice=practice_a).exists()


def test_a_shorter_interval_saved_in_the_admin_brings_the_next_poll_forward(practice_a):
    practice_hours_set(practice_a, local_hour=2, slow_poll_interval_minutes=30)
    Schedule.objects.filter(name=f"poll:{practice_a.schema_name}").update(
        next_run=timezone.now() + timedelta(minutes=25))

    practice_hours_set(practice_a, local_hour=2, slow_poll_interval_minutes=10)

    assert _next_run(practice_a) <= timezone.now() + timedelta(minutes=10)


def test_unreadable_opening_hours_saved_from_a_shell_leave_the_practice_polled(
        practice_a, recording_tick):
    practice_hours_set(practice_a, local_hour=12)
    Practice.objects.filter(pk=practice_a.pk).update(opening_hours="weekdays")
    planned = _next_run(practice_a)

    result = practice_poll(practice_a.schema_name, slot=timezone.now().isoformat())

    assert "skipped" not in result and "next_poll_at" not in result
    assert _next_run(practice_a) == planned  # the scheduler's own next slot stands


def test_a_poll_is_counted_and_planned_in_one_statement_while_the_interval_holds(
        practice_a, django_assert_num_queries):
    practice_hours_set(practice_a, local_hour=12, poll_interval_minutes=5)
    NextechCallDay.objects.filter(practice=practice_a).delete()  # another test's, committed
    now = timezone.now()
    practice_poll_finished(practice=practice_a, summary={"nextech_calls": 3}, slot=None, now=now)
    nextech_calls_record(practice=practice_a, calls=2, polls=0, at=now)  # an NXT-Create

    with django_assert_num_queries(1):
        plan = practice_poll_finished(practice=practice_a, summary={"nextech_calls": 4},
                                      slot=None, now=now + timedelta(minutes=5))

    assert plan.next_poll_at == now + timedelta(minutes=10)
    (day,) = NextechCallDay.objects.filter(practice=practice_a)
    assert (day.calls, day.polls, day.interval_seconds) == (9, 2, 300)


def test_a_new_interval_is_what_the_health_checks_measure_by(practice_a):
    practice_hours_set(practice_a, local_hour=12, poll_interval_minutes=5)
    now = timezone.now()
    practice_poll_finished(practice=practice_a, summary={}, slot=None, now=now)
    practice_hours_set(practice_a, local_hour=12, poll_interval_minutes=10)

    practice_poll_finished(practice=practice_a, summary={}, slot=None, now=now)

    assert practice_poll_gap(practice=practice_a) == timedelta(minutes=10)


def test_a_slot_fired_before_midnight_is_planned_with_that_days_calls(practice_a):
    practice_hours_set(practice_a, local_hour=0, time_zone="UTC", poll_interval_minutes=5,
                       opening_hours="Mon-Sun 00:00-24:00", nextech_daily_call_budget=2000)
    now = datetime(2026, 3, 10, 0, 0, 5, tzinfo=UTC)
    slot = now - timedelta(seconds=25)
    nextech_calls_record(practice=practice_a, calls=3000, polls=100, at=slot)  # over budget

    plan = practice_poll_finished(practice=practice_a, summary={"nextech_calls": 3}, slot=slot,
                                  now=now)

    # The slot's day had no call left: planned afresh from now, on the new day's budget.
    assert (plan.planned_at, plan.next_poll_at) == (now, now + timedelta(minutes=5))
    assert _next_run(practice_a) == now + timedelta(minutes=5)
