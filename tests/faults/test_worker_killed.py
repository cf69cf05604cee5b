"""A worker killed (SIGKILL) while a note is in flight: GoHighLevel stores the note after
the worker is gone, and the next poll, by another process, neither loses nor doubles it.

Real `manage.py sync_now` processes against both sandboxes over HTTP, on committed
practices (each process has its own database connection), as in production.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from datetime import time as day_time

from integrations.nextech.sandbox import actions
from integrations.nextech.sandbox.seed import LOCAL
from integrations.sandbox_kit.faults import Fault
from tenants.models import Practice
from tests.faults.world import notes_doubled, served_practice
from tests.support.db import database_url
from tests.support.qcluster import ROOT
from tests.support.served import crm_view

NOTES_ROUTE = "POST /contacts/<contact_id>/notes"
IN_FLIGHT_SECONDS = 3.0  # how long GoHighLevel takes over the note the worker dies during


def _sync(slug: str) -> subprocess.Popen[str]:
    env = {**os.environ, "DATABASE_URL": database_url()}
    env.pop("AXC_CRASH_AT", None)
    return subprocess.Popen([sys.executable, "manage.py", "sync_now", slug], cwd=ROOT, env=env,  # noqa: S603
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(process: subprocess.Popen[str]) -> None:
    out, err = process.communicate(timeout=180)
    assert process.returncode == 0, err[-2000:]


def test_a_worker_killed_with_a_note_in_flight_loses_and_doubles_nothing(
        served, practices, django_db_blocker):
    emr, today = served["emr"], datetime.now(LOCAL).date()
    patients, visits = [], []
    for n in range(4):
        patients.append(actions.patient_add(
            emr, given=f"Killed{n}", family="Worker", email=f"killed{n}@example.com",
            phones={"mobile": f"(404) 555-04{n:02d}"}, birth_date=datetime(1985, 1, 1 + n).date(),
            patient_status="Prospect").id)
        visits.append(actions.appointment_book(
            emr, patient_id=patients[-1], location_id="1", practitioner_id="101", type_id="5",
            purpose_ids=[], status="booked",
            start=datetime.combine(today + timedelta(days=2 + n), day_time(9), LOCAL)).id)
    with django_db_blocker.unblock():
        practice, location_id = served_practice(served, slug="killedmid",
                                                name="Killed killedmid")
        try:
            _finish(_sync("killedmid"))  # the bookings reach the CRM
            for visit in visits:  # then every visit is confirmed, then checked in and seen
                actions.appointment_change(emr, appointment_id=visit, status="fulfilled")
            first = next(iter(served["ghl_app"].state.locations[location_id].contacts))
            served["ghl_app"].state.faults.add(Fault(
                kind="slow", remaining=1, path_prefix=f"/contacts/{first}/notes",
                delay_seconds=IN_FLIGHT_SECONDS))
            counters = served["ghl_app"].state.counters
            notes_before = counters[NOTES_ROUTE]

            worker = _sync("killedmid")
            deadline = time.monotonic() + 120
            while counters[NOTES_ROUTE] == notes_before and worker.poll() is None:
                assert time.monotonic() < deadline, "the drain never reached the notes"
                time.sleep(0.01)
            worker.send_signal(signal.SIGKILL)  # mid-drain, the first note in flight
            worker.wait(timeout=30)
            assert worker.returncode == -signal.SIGKILL
            time.sleep(IN_FLIGHT_SECONDS + 0.5)  # GoHighLevel finishes storing that note
            assert served["ghl_app"].state.faults.faults == []

            _finish(_sync("killedmid"))  # the next scheduled poll, another process

            result = crm_view(served["ghl_app"], location_id)
            assert len(result) == len(patients)
            assert notes_doubled(result) == []
            # A booking note and a visit note each: the one in flight counted once.
            assert [len(contact["notes"]) for contact in result.values()] == [2] * len(patients)
            assert all(contact["opportunities"][0][1] == "won" for contact in result.values())
            practice.refresh_from_db()
            assert practice.status == Practice.Status.ACTIVE
        finally:
            practice.delete(force_drop=True)
