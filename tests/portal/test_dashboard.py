"""The dashboard: what a practice's staff notice about their sync at a glance."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

from django.utils import timezone
from django_q.models import OrmQ

from integrations.clock import SYSTEM_CLOCK
from integrations.engine.read import backfill_start
from integrations.models import InboxItem, OutboxOp, SyncLog, SyncState
from tenants.models import NextechCallDay, NextechCredential, Practice
from tenants.poll_budget import nextech_calls_record
from tenants.services import practice_set_status
from tests.portal.conftest import in_schema, tick
from tests.support.poll import practice_hours_set


def _page(client) -> str:
    response = client.get("/")
    assert response.status_code == 200
    return response.content.decode().replace("\xa0", " ")  # timesince uses no-break spaces


def _text(html: str) -> str:
    """The page as a person reads it: no tags, single spaces."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_shows_the_last_poll_on_schedule_events_today_and_failures(portal_a, practice_a):
    with in_schema(practice_a):
        state = SyncState.current()
        state.last_success_at = timezone.now() - timedelta(minutes=3)
        state.save()
        for n in range(3):
            SyncLog.objects.create(kind="event", message=f"Appointment {n}: Pending")
        old = SyncLog.objects.create(kind="event", message="yesterday")
        SyncLog.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2))
        OutboxOp.objects.create(key="k1", patient_id="p1", kind="note_add", payload={},
                                state=OutboxOp.State.DEAD, last_error="ghl 422")
        InboxItem.objects.create(resource="Appointment", external_id="a1", version="1",
                                 payload={}, state=InboxItem.State.DEAD, error="unreadable")
    html = _page(portal_a)
    assert "3 minutes ago" in html
    assert "on schedule" in html
    assert "Events today: 3" in _text(html)
    assert 'href="/review/">Needs your review: 2' in html


def test_a_poll_missing_two_slots_is_behind_schedule_with_the_last_problem(portal_a, practice_a):
    with in_schema(practice_a):
        state = SyncState.current()
        state.last_success_at = timezone.now() - timedelta(minutes=11)  # interval 5
        state.last_error = "nextech (retry): ConnectionError"
        state.save()
    html = _page(portal_a)
    assert "behind schedule" in html
    assert "nextech (retry): ConnectionError" in html
    assert "Nothing needs your review" in _text(html)


def test_never_polled(portal_a):
    html = _page(portal_a)
    assert "Last successful poll: never" in _text(html)
    assert "not polling yet" not in html  # practice A is active: a missing poll is late
    assert "behind schedule" in html


def test_credentials_not_connected_then_needing_attention_with_reason_and_lapse(
        portal_a, practice_a):
    html = _page(portal_a)
    assert "Credentials not entered yet." in html
    assert "Not connected yet." in html

    lapse = timezone.now() + timedelta(days=12)
    NextechCredential.objects.create(practice=practice_a, practice_guid=uuid.uuid4(),
                                     username="u", password="p", refresh_expires_at=lapse)
    practice_set_status(practice=practice_a, status=Practice.Status.NEEDS_ATTENTION,
                        reason="Nextech credentials failed: Nextech sign-in was refused")
    html = _page(portal_a)
    assert "Needs attention" in html
    assert "Nextech credentials failed: Nextech sign-in was refused" in html
    assert f"Sign-in lapses {timezone.localtime(lapse):%b} {lapse.day}" in html


def test_the_dashboard_says_when_the_budget_stretches_the_interval(practice_a, portal_a):
    practice_hours_set(practice_a, local_hour=12, poll_interval_minutes=1,
               nextech_daily_call_budget=1000)
    nextech_calls_record(practice=practice_a, calls=300, polls=100, at=timezone.now())

    page = _text(portal_a.get("/").content.decode())

    assert re.search(r"Polling every \d+ min to stay within 1,000 Nextech calls today\.", page)
    assert "Polled every 1 minute in opening hours, every 30 when closed" in page


def test_the_dashboard_is_silent_about_a_budget_the_day_fits_in(practice_a, portal_a):
    practice_hours_set(practice_a, local_hour=12, poll_interval_minutes=5,
               nextech_daily_call_budget=5000)
    nextech_calls_record(practice=practice_a, calls=30, polls=10, at=timezone.now())

    page = _text(portal_a.get("/").content.decode())

    assert "to stay within" not in page
    assert "Polled every 5 minutes in opening hours" in page


def test_a_practice_polled_every_30_minutes_at_night_is_on_schedule(portal_a, practice_a):
    # The last poll's plan left 30 minutes to the next (closed); 40 minutes is one slot.
    practice_hours_set(practice_a, local_hour=2, poll_interval_minutes=5)
    nextech_calls_record(practice=practice_a, calls=3, polls=1, at=timezone.now())
    NextechCallDay.objects.filter(practice=practice_a).update(interval_seconds=30 * 60)
    with in_schema(practice_a):
        state = SyncState.current()
        state.last_success_at = timezone.now() - timedelta(minutes=40)
        state.save()

    assert "on schedule" in _page(portal_a)


def _says(client, selector_id: str) -> str:
    html = _page(client)
    found = re.search(rf'<p id="{selector_id}">(.*?)</p>', html, re.S)
    return _text(found.group(1)) if found else ""


def test_the_first_sync_shows_its_backfill_progress_tick_by_tick(portal_a, rig, in_practice):
    rig.nextech.page_size = 2  # 10 pages a tick: 20 appointments
    patient = rig.patient_add()
    for n in range(45):
        rig.book(patient, days_ahead=n % 60 + 1)
    progress = []
    for _ in range(3):
        assert tick(rig, in_practice)["errors"] == 0
        progress.append(_says(portal_a, "backfill"))
        rig.later()
    assert progress == ["Backfilling: 20 of 45 appointments (the first sync reads recent and "
                        "upcoming appointments a share per poll)",
                        "Backfilling: 40 of 45 appointments (the first sync reads recent and "
                        "upcoming appointments a share per poll)", ""]
    assert "on schedule" in _says(portal_a, "lag")


def test_while_the_first_tick_runs_the_backfill_is_not_behind_schedule(portal_a, practice_a):
    with in_schema(practice_a):
        backfill_start(start=timezone.localdate(), end=timezone.localdate(), clock=SYSTEM_CLOCK)
        state = SyncState.current()
        state.last_tick_started_at = timezone.now() - timedelta(minutes=3)
        state.save()
    assert _says(portal_a, "backfill").startswith("Backfilling: 0 appointments read")
    lag = _says(portal_a, "lag")
    assert "first sync in progress" in lag and "behind schedule" not in lag
    with in_schema(practice_a):
        SyncState.objects.update(last_tick_started_at=timezone.now() - timedelta(minutes=30))
    assert "behind schedule" in _says(portal_a, "lag")  # no tick for 30 minutes: stuck


def test_sync_now_queues_one_tick_of_this_practice(portal_a, practice_a,
                                                   django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = portal_a.post("/sync/", follow=True)
    assert "Sync queued: it starts within a minute." in _text(response.content.decode())
    (queued,) = [q.task for q in OrmQ.objects.all()]
    assert (queued["func"], queued["args"]) == (
        "integrations.tasks.practice_poll_start", (practice_a.schema_name,))
    assert "waiting for it to start" in _text(_page(portal_a))

    again = portal_a.post("/sync/", follow=True)
    assert "is on its way" in _text(again.content.decode())
    assert OrmQ.objects.count() == 1

    practice_a.status = Practice.Status.PAUSED
    practice_a.save(update_fields=["status"])
    with in_schema(practice_a):
        SyncLog.objects.filter(kind="sync_requested").delete()
    assert "not syncing" in _text(portal_a.post("/sync/", follow=True).content.decode())
