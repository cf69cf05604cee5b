"""The database restarted in the middle of a tick (issue 8): the tick fails and says so,
the worker process lives on, and its next ticks deliver every change exactly once.

A real qcluster polls three committed practices on the same Nextech data, against both
sandboxes over HTTP. Their ticks are held at three named points (AXC_PAUSE_DIR, see
integrations.engine.crashpoints): one after a page of changes is stored, one after a
patient's decision is committed, one after a CRM note was sent and before it was marked
sent. Then PostgreSQL is restarted for real (`pg_ctl restart -m fast`), once, and the
ticks let go: every connection they had is gone. A fourth practice on the same data,
polled with no fault, is what each CRM location must equal afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from datetime import time as day_time
from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest.mock import ANY

from django.db import OperationalError
from django.utils import timezone
from django_q.models import OrmQ, Schedule, Task
from django_q.tasks import async_task
from django_tenants.utils import schema_context

from integrations.engine import tick
from integrations.health import practice_health
from integrations.models import InboxItem, OutboxOp, SyncLog, SyncState
from integrations.nextech.sandbox import actions
from integrations.nextech.sandbox.seed import LOCAL
from integrations.tasks import practice_poll
from tenants.models import Practice
from tenants.schedule import POLL_TASK, schedule_name
from tests.faults.world import TICK_MINUTES, dead_letters, notes_doubled, served_practice, week
from tests.support.db import database_restart
from tests.support.qcluster import running_qcluster, wait_until
from tests.support.served import crm_view

PATIENTS = 4
# Where the ticks are held while the database restarts, and the how-many-th time each is
# reached: the third write a tick sends is its first patient's booking note.
POINTS = {"read.page_stored": 1, "process.patient_committed": 1, "drain.op_sent": 3}


def _bookings(emr: Any) -> None:
    """Four new patients, each with a visit booked in the coming days; two have paid."""
    today = datetime.now(LOCAL).date()
    for n in range(PATIENTS):
        patient = actions.patient_add(
            emr, given=f"Restart{n}", family="Database", email=f"restart{n}@example.com",
            phones={"mobile": f"(404) 555-06{n:02d}"}, birth_date=datetime(1975, 6, 1 + n).date(),
            patient_status="Prospect").id
        actions.appointment_book(
            emr, patient_id=patient, location_id="1", practitioner_id="101",
            type_id="5" if n % 2 else "1", purpose_ids=[], status="booked",
            start=datetime.combine(today + timedelta(days=2 + n), day_time(9), LOCAL))
        if n % 2:
            actions.payment_add(emr, patient_id=patient, total=Decimal("240.00"),
                                location_id="2", practitioner_id="103")


def _ticks(practice: Practice) -> list[tuple[str, str]]:
    """(level, message) of each tick the practice's sync log records, oldest first."""
    with schema_context(practice.schema_name):
        return list(SyncLog.objects.filter(kind="tick").order_by("created_at", "id")
                    .values_list("level", "message"))


def _in_flight(practice: Practice) -> list[str]:
    """Kinds of the CRM writes marked attempted and not yet marked sent."""
    with schema_context(practice.schema_name):
        return list(OutboxOp.objects.filter(state=OutboxOp.State.PENDING, attempts__gt=0)
                    .values_list("kind", flat=True))


def _polls(practices: list[Practice]) -> None:
    for practice in practices:
        async_task(POLL_TASK, practice.schema_name)


def _ticks_wait(practices: list[Practice], *, ticks: int, output: Callable[[], str]) -> None:
    """Until each practice has recorded `ticks` ticks, failed or not."""
    wait_until(lambda: all(len(_ticks(p)) >= ticks for p in practices), seconds=60,
               describe=lambda: f"{[_ticks(p) for p in practices]}\n{output()[-4000:]}")


def _restart_mid_tick(practices: list[Practice], pause_dir: Path,
                      output: Callable[[], str]) -> None:
    """Each practice's tick held at one of POINTS, the database restarted, ticks let go."""
    for point, nth in POINTS.items():
        (pause_dir / point).write_text(str(nth))  # armed: the first tick there takes it
    _polls(practices)
    held = [pause_dir / f"{point}.paused" for point in POINTS]
    wait_until(lambda: all(path.exists() for path in held), seconds=60,
               describe=lambda: f"held at {[p.name for p in held if p.exists()]}: "
                                f"{output()[-4000:]}")
    # The tick held after a send has exactly that write in flight: a note.
    assert sorted(kind for p in practices for kind in _in_flight(p)) == ["note_add"]
    database_restart()
    for path in held:
        path.unlink()  # let go: their connections are gone
    _ticks_wait(practices, ticks=1, output=output)


def _finished(state: SyncState) -> bool:
    """The last tick that started has finished: nothing says one is still running."""
    started, finished = state.last_tick_started_at, state.last_tick_finished_at
    return started is not None and finished is not None and started <= finished


def _staff_see_the_failure(practice: Practice) -> None:
    """While the next poll has not run: failed, why, and no tick still 'running'."""
    ((level, message),) = _ticks(practice)
    assert level == SyncLog.Level.WARNING
    assert message.startswith("Poll failed: Database error: "), message
    with schema_context(practice.schema_name):
        state = SyncState.current()
    assert state.last_error.startswith("Database error: ")
    assert state.last_success_at is None
    assert _finished(state)
    health = practice_health(practice=Practice.objects.get(pk=practice.pk))
    assert (health.status, health.status_reason) == (Practice.Status.ACTIVE, "")
    assert (health.recent_ticks, health.recent_failures) == (1, 1)


def _recovered(practice: Practice, location: str, twin_view: dict[str, Any],
               served: dict[str, Any]) -> None:
    """Every change delivered exactly once, and polling fine again as staff see it."""
    view = crm_view(served["ghl_app"], location)
    assert notes_doubled(view) == []
    assert view == twin_view
    with schema_context(practice.schema_name):
        assert dead_letters() == {"outbox": [], "inbox": []}
        assert not OutboxOp.objects.filter(state=OutboxOp.State.PENDING).exists()
        assert not InboxItem.objects.filter(state=InboxItem.State.NEW).exists()
        state = SyncState.current()
    assert [level for level, _ in _ticks(practice)] == [SyncLog.Level.WARNING,
                                                        SyncLog.Level.INFO]
    assert state.last_error == ""
    assert _finished(state) and state.last_success_at == state.last_tick_finished_at
    current = Practice.objects.get(pk=practice.pk)
    assert (current.status, current.status_reason) == (Practice.Status.ACTIVE, "")


def test_a_database_restart_mid_tick_fails_the_tick_and_the_next_delivers_everything_once(
        served, practices, django_db_blocker, tmp_path):
    _bookings(served["emr"])
    with django_db_blocker.unblock():
        made = [served_practice(served, slug=f"dbrestart{n}", name="Restarted Database",
                                payments=True) for n in range(len(POINTS) + 1)]
        (twin, twin_location), restarted = made[0], [practice for practice, _ in made[1:]]
        schedules = Schedule.objects.filter(name__in=[schedule_name(p) for p, _ in made])
        schedules.update(next_run=timezone.now() + timedelta(hours=1))  # the test polls
        try:
            assert practice_poll(twin.schema_name)["errors"] == 0  # the same week, no fault
            twin_view = crm_view(served["ghl_app"], twin_location)
            assert len(twin_view) == PATIENTS
            # One worker process, with threads for three ticks in flight when the database
            # goes. The usual guard cycle: django-q2's broker process may die of the
            # restart, and is replaced within one after its own 10 s back-off.
            with running_qcluster(AXC_PAUSE_DIR=str(tmp_path), Q_WORKERS="1",
                                  AXC_TICK_THREADS="3", Q_GUARD_CYCLE="0.5",
                                  Q_POLL="1") as output:
                _restart_mid_tick(restarted, tmp_path, output)
                for practice in restarted:
                    _staff_see_the_failure(practice)
                _polls(restarted)  # the next slot, on the same worker process
                _ticks_wait(restarted, ticks=2, output=output)
                assert "reincarnated worker" not in output()
            for practice, location in made[1:]:
                _recovered(practice, location, twin_view, served)
        finally:
            schedules.delete()
            OrmQ.objects.all().delete()
            Task.objects.filter(func=POLL_TASK).delete()
            for practice, _ in made:
                practice.delete(force_drop=True)


def test_a_tick_the_database_failed_under_leaves_a_later_ticks_record_alone(rig, monkeypatch):
    """The tick lock goes with the old connection, so after a restart the next slot's tick
    may run, and succeed, before the interrupted one finds out. The failure is then in the
    log, but what staff see stays what the later tick recorded."""
    patients = week(rig)
    rig.later(TICK_MINUTES)
    real_drain = tick.outbox_drain

    def drain_after_a_later_tick(**kwargs: Any) -> Any:
        monkeypatch.setattr(tick, "outbox_drain", real_drain)
        assert rig.tick()["errors"] == 0  # the later tick, from start to end
        raise OperationalError("the connection is lost")

    monkeypatch.setattr(tick, "outbox_drain", drain_after_a_later_tick)
    assert rig.tick()["error"] == {"system": "database", "kind": "unavailable"}

    state = SyncState.current()
    assert (state.last_error, state.last_success_at) == ("", state.last_tick_finished_at)
    assert list(SyncLog.objects.filter(kind="tick").order_by("created_at", "id")
                .values_list("level", "message")) == [
        (SyncLog.Level.INFO, ANY), (SyncLog.Level.WARNING,
                                    "Poll failed: Database error: the connection is lost")]
    view = rig.crm_view()
    assert len(view) == len(patients) and notes_doubled(view) == []
