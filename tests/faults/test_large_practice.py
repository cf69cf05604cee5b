"""A practice with tens of thousands of appointments, five per patient, synced from nothing.

Ticks read in bounded pages (40 pages of 50 per resource per tick), the cursor resumes
where the last tick stopped, and at the end every appointment is in the CRM once: one
contact per patient, one note per appointment. GoHighLevel's 100-per-10-s limit is kept
on the simulated clock, so it costs days of simulated time and no wall time.
"""

from __future__ import annotations

import os
import time as time_module
from datetime import datetime, time, timedelta
from random import Random

from django.db import connection

from integrations.engine.read import MAX_PAGES_PER_RESOURCE
from integrations.models import Cursor, InboxItem, KnownPatient, OutboxOp
from integrations.nextech.client import MAX_PAGE_SIZE
from integrations.nextech.sandbox import actions
from integrations.nextech.sandbox.seed import LOCAL
from tests.faults.world import crm_view, dead_letters

# The 50,000 appointments: about 6.5 minutes of wall time on a quiet 2-core machine,
# with about 8 SQL statements per appointment between deciding and writing (both sandboxes
# answering 100,000 requests in-process take much of the rest). AXC_FAULTS_APPOINTMENTS=5000
# runs a tenth of it in about 30 seconds.
APPOINTMENTS = int(os.environ.get("AXC_FAULTS_APPOINTMENTS", "50000"))
PATIENTS = APPOINTMENTS // 5
# Visits from 600 to 91 days ago: history, so every one arrives through the change cursor
# (the first activation's backfill window starts 90 days back and finds none of them).
TYPES_AND_STATUSES = [("5", "fulfilled"), ("6", "fulfilled"), ("1", "fulfilled"),
                      ("5", "noshow"), ("6", "cancelled"), ("2", "fulfilled")]


def _seed(rig) -> None:
    """Straight into the sandbox's state, as a practice's years of records would be."""
    emr, pick = rig.emr, Random(50_000)  # noqa: S311 - a fixed seed, not security
    today = rig.clock.now().astimezone(LOCAL).date()
    patients = [actions.patient_add(emr, given=f"Bulk{n}", family="Patient",
                                    email=f"bulk{n}@example.com",
                                    phones={"mobile": f"(470) 5{n // 10_000:02d}-{n % 10_000:04d}"},
                                    birth_date=datetime(1970 + n % 40, 1 + n % 12, 1).date(),
                                    patient_status="Patient").id
                for n in range(PATIENTS)]
    for n in range(APPOINTMENTS):
        type_id, status = TYPES_AND_STATUSES[n % len(TYPES_AND_STATUSES)]
        day = today - timedelta(days=pick.randint(91, 600))
        actions.appointment_book(emr, patient_id=patients[n // 5],
                                 location_id="1", practitioner_id="101", type_id=type_id,
                                 purpose_ids=[], status=status,
                                 start=datetime.combine(day, time(9), LOCAL))


def _statistics_refresh() -> None:
    """What autovacuum does for a production table: the test's rows are never committed,
    so without this the planner believes the practice's tables empty and scans them whole."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE integrations_outboxop, integrations_inboxitem, "
                       "integrations_knownpatient")


def test_a_large_practice_arrives_once_in_bounded_ticks(rig):
    _seed(rig)
    rig.ghl_app.state.daily_limit = 10_000_000  # days of writes; the daily cap is not tested here
    pages_needed = -(-APPOINTMENTS // MAX_PAGE_SIZE)
    ticks, largest_read = 0, 0
    started = time_module.perf_counter()
    while ticks < 1000:
        rig.later(5)
        summary = rig.tick()
        ticks += 1
        if ticks % 10 == 0:
            _statistics_refresh()
        assert summary["errors"] == 0, summary
        # Bounded: one tick never reads more than its page cap per resource.
        largest_read = max(largest_read, summary["changes_stored"])
        assert summary["changes_stored"] <= 2 * MAX_PAGES_PER_RESOURCE * MAX_PAGE_SIZE
        cursor = Cursor.objects.get(resource="Appointment")
        done = (cursor.position is not None and not cursor.resume_link
                and not OutboxOp.objects.filter(state=OutboxOp.State.PENDING).exists()
                and not InboxItem.objects.filter(state=InboxItem.State.NEW).exists())
        if done:
            break

    print(f"{APPOINTMENTS} appointments: {ticks} ticks, "
          f"{time_module.perf_counter() - started:.0f} s wall, "
          f"{rig.clock.monotonic() / 86400:.1f} simulated days, "
          f"{rig.nextech_adapter.requests_seen} Nextech and {rig.ghl_adapter.requests_seen} "
          f"GoHighLevel requests")
    # The appointment scan needed several ticks, each resuming from the stored next link.
    assert ticks >= pages_needed // MAX_PAGES_PER_RESOURCE
    assert largest_read >= MAX_PAGES_PER_RESOURCE * MAX_PAGE_SIZE
    view = crm_view(rig)
    assert len(view) == PATIENTS == KnownPatient.objects.count()
    notes = [body for contact in view.values() for body in contact["notes"]]
    assert len(notes) == APPOINTMENTS
    assert len(set(notes)) == APPOINTMENTS
    assert dead_letters() == {"outbox": [], "inbox": []}
    assert rig.status() == ("active", "")
