"""A practice's Nextech calls of the day are the HTTP requests Nextech received."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from integrations.engine.tick import practice_tick
from tenants.models import NextechCallDay
from tenants.poll_budget import practice_calls_today, practice_poll_finished


def test_each_tick_adds_the_requests_nextech_received_to_the_day(rig, in_practice):
    seen_before = rig.nextech_adapter.requests_seen
    NextechCallDay.objects.filter(practice=in_practice).delete()  # another test's, committed
    rig.book(rig.patient_add(), type_id="5")
    for _ in range(2):
        rig.later()
        summary = practice_tick(practice=in_practice, nextech=rig.nextech, ghl=rig.ghl,
                                clock=rig.clock)
        now = timezone.now()
        practice_poll_finished(practice=in_practice, summary=summary, slot=now, now=now)

    received = rig.nextech_adapter.requests_seen - seen_before
    today = practice_calls_today(practice=in_practice, now=timezone.now())
    assert received > 2  # the searches, the patient read and the sign-in
    assert (today.calls, today.polls) == (received, 2)
    assert today.calls_per_poll == received / 2
    (day,) = NextechCallDay.objects.filter(practice=in_practice)
    assert timedelta(seconds=day.interval_seconds) >= timedelta(minutes=1)
