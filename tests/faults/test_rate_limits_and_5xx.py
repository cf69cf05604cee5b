"""429 storms and 5xx from either API: retried with backoff, delivered once, status true.

A burst the client's own retries absorb never fails the poll; a longer storm fails a poll
or a write, which the next polls pick up. A 5xx that never ends dead-letters the write
after its attempts, with the reason; replayed once the fault clears, it lands once.
"""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command

from integrations.engine.outbox import MAX_ATTEMPTS
from integrations.models import OutboxOp, SyncLog
from tests.faults.world import EVENTS, assert_recovered, dead_letters, week_run


def test_a_nextech_429_storm_delays_the_week_and_loses_nothing(rig, baseline):
    # 12 refusals in a row on the appointment search: more than one request's five
    # attempts can absorb, so a poll fails as rate-limited and a later poll reads on.
    week_run(rig, lambda: rig.nextech_fault("429", 12, "/api/Appointment"))
    during = rig.tick()
    summaries = rig.settle()

    assert during["error"] == {"system": "nextech", "kind": "rate_limited"}
    # Rate-limited is not broken credentials: the practice stays active throughout.
    assert_recovered(rig, baseline)
    assert rig.last_error() == ""
    assert summaries[-1]["errors"] == 0


def test_a_ghl_429_storm_backs_off_and_every_write_lands_once(rig, baseline):
    week_run(rig, lambda: rig.ghl_fault("429", 40, "/contacts/"))
    rig.settle()

    assert_recovered(rig, baseline)
    # The writes caught in the storm were retried on later polls, not dropped.
    assert OutboxOp.objects.filter(attempts__gt=1, state=OutboxOp.State.DONE).exists()


def test_5xx_bursts_from_both_apis_are_retried_and_the_week_arrives_once(rig, baseline):
    def bursts() -> None:
        rig.nextech_fault("503", 7, "/api/Patient")
        rig.nextech_fault("500", 3, "/api/PaymentReconciliation")
        rig.ghl_fault("503", 9, "/contacts/")
        rig.ghl_fault("500", 6, "/opportunities/")

    week_run(rig, bursts)
    rig.settle()

    assert_recovered(rig, baseline)


def test_a_write_failing_with_5xx_for_good_is_dead_lettered_then_replayed_once(rig, baseline):
    # GoHighLevel answers 500 to every opportunity write until someone fixes it.
    week_run(rig, lambda: rig.ghl_fault("500", 10_000, "/opportunities/"))
    rig.ticks(12)  # about an hour of polls: every backoff has run out

    dead = list(OutboxOp.objects.filter(state=OutboxOp.State.DEAD))
    assert dead and {op.kind for op in dead} == {"opportunity_upsert"}
    assert all(op.attempts == MAX_ATTEMPTS for op in dead)
    assert all("ghl 500" in op.last_error for op in dead), [op.last_error for op in dead]
    logged = SyncLog.objects.filter(kind="dead_letter", level=SyncLog.Level.ERROR)
    assert logged.count() == len(dead)
    assert "opportunity_upsert failed: ghl 500" in logged.first().message
    view = rig.crm_view()
    stuck = {op.patient_id for op in dead}
    # Those patients' opportunities still show the stage before the change, no other harm.
    assert all(view[p]["opportunities"] != baseline[p]["opportunities"] for p in stuck)
    assert all(view[p] == baseline[p] for p in view if p not in stuck)
    # Everything else went through: a broken pipeline does not hold back notes.
    assert sum(len(contact["notes"]) for contact in view.values()) == EVENTS
    # One failing endpoint is not a practice-wide outage of credentials.
    assert rig.status() == ("active", "")

    rig.faults_clear()
    out = StringIO()
    call_command("replay", "alpha", *[str(op.pk) for op in dead], "--op", stdout=out)
    assert f"{len(dead)} queued again" in out.getvalue()
    rig.settle()

    assert rig.crm_view() == baseline
    assert dead_letters() == {"outbox": [], "inbox": []}
