"""Scale-out: two real qcluster processes on one broker share ten practices' polls.

Each practice has its poll schedule plus a second schedule firing the same poll in the
same slot, so two polls of every practice are queued side by side and race for the
practice's lock. Shown, for the ORM broker and for the Redis broker: every practice is
polled in its slot, no practice's ticks overlap, and both processes did part of the work.
"""

from __future__ import annotations

from collections import Counter
from contextlib import ExitStack
from datetime import datetime, timedelta

import pytest
import redis
from django.db import connection
from django.utils import timezone
from django_q.models import OrmQ, Schedule, Task
from django_tenants.utils import schema_context

from integrations.models import SyncLog
from tenants.models import Practice
from tenants.schedule import POLL_TASK, SLOT_KWARG
from tenants.services import practice_create
from tests.support.qcluster import running_qcluster, wait_until

PRACTICES = 10
TICK_SECONDS = "1.5"
# Polled every minute at whatever hour the test runs (nights would be 30 minutes apart).
ALWAYS_OPEN = "Mon-Sun 00:00-24:00"
REDIS_TEST_URL = "redis://127.0.0.1:6379/13"  # a database of this test's own


def _schemas() -> list[str]:
    return [f"p_scale_{n}" for n in range(PRACTICES)]


@pytest.fixture(scope="module")
def scale_practices(practices, django_db_blocker):
    """Ten active practices, committed so the qcluster processes see them."""
    if not connection.settings_dict["NAME"].startswith("test"):
        # pytest-django sets the test database up only when a selected test asks for
        # `db`; never commit practices into a development database.
        pytest.fail("no test database: run this module whole (its first test uses `db`)")
    with django_db_blocker.unblock():
        Practice.objects.filter(slug__startswith="scale-").delete()
        created = [
            practice_create(practice=Practice(
                name=f"Scale Clinic {n}", slug=f"scale-{n}", status=Practice.Status.ACTIVE,
                poll_interval_minutes=1, opening_hours=ALWAYS_OPEN))
            for n in range(PRACTICES)
        ]
        try:
            yield created
        finally:
            Schedule.objects.filter(name__in=[f"{prefix}:{s}" for s in _schemas()
                                              for prefix in ("poll", "poll-again")]).delete()
            OrmQ.objects.all().delete()
            Task.objects.filter(func=POLL_TASK).delete()
            for practice in created:
                practice.delete(force_drop=True)


def _slots_due(django_db_blocker) -> datetime:
    """Make both schedules of every practice due now; returns the slot time."""
    slot = timezone.now() - timedelta(seconds=1)
    with django_db_blocker.unblock():
        OrmQ.objects.all().delete()
        for schema in _schemas():
            with schema_context(schema):
                SyncLog.objects.all().delete()
            Schedule.objects.filter(name=f"poll:{schema}").update(next_run=slot, repeats=-1)
            Schedule.objects.update_or_create(
                name=f"poll-again:{schema}",
                defaults={"func": POLL_TASK, "args": repr((schema,)),
                          "intended_date_kwarg": SLOT_KWARG,  # fires the same slot
                          "schedule_type": Schedule.MINUTES, "minutes": 1, "repeats": -1,
                          "next_run": slot})
    return slot


def _runs(django_db_blocker) -> dict[str, list[SyncLog]]:
    with django_db_blocker.unblock():
        runs = {}
        for schema in _schemas():
            with schema_context(schema):
                runs[schema] = list(SyncLog.objects.filter(kind__in=["tick", "tick_skipped"])
                                    .order_by("id"))
        return runs


def _run_two_clusters(django_db_blocker, **env: str) -> tuple[datetime, dict[str, list[SyncLog]]]:
    slot = _slots_due(django_db_blocker)
    # Two tick threads per worker: a poll task only hands its tick to the worker's pool, so
    # with threads to spare one cluster would take every task before the other started;
    # with few, a cluster whose threads are all busy stops taking tasks, as in production.
    common = {"AXC_TICK_FUNCTION": "tests.support.ticks.slow_tick",
              "AXC_TEST_TICK_SECONDS": TICK_SECONDS, "AXC_TICK_THREADS": "2", **env}
    with ExitStack() as stack:
        outputs = [stack.enter_context(running_qcluster(AXC_TEST_CLUSTER=name, **common))
                   for name in ("A", "B")]
        wait_until(
            lambda: all(len(runs) == 2 for runs in _runs(django_db_blocker).values()),
            seconds=35,
            describe=lambda: f"runs {Counter(len(r) for r in _runs(django_db_blocker).values())}"
                             f"\n--- A\n{outputs[0]()[-3000:]}\n--- B\n{outputs[1]()[-3000:]}",
        )
    return slot, _runs(django_db_blocker)


def _assert_shared_on_schedule_without_overlap(slot: datetime, runs: dict[str, list[SyncLog]],
                                               django_db_blocker) -> Counter[str]:
    by_cluster: Counter[str] = Counter()
    for schema, rows in runs.items():
        ticks = [r for r in rows if r.kind == "tick"]
        assert ticks, f"{schema} was never polled"
        spans = sorted((datetime.fromisoformat(t.details["started"]),
                        datetime.fromisoformat(t.details["finished"])) for t in ticks)
        # On schedule: the slot's polls ran at once, not a minute later.
        assert spans[0][0] - slot < timedelta(seconds=30), (schema, spans[0][0] - slot)
        for (_, earlier_end), (later_start, _) in zip(spans, spans[1:], strict=False):
            assert later_start >= earlier_end, f"two ticks of {schema} overlapped"
        assert {t.details["schema"] for t in ticks} == {schema}
        by_cluster.update(t.details["cluster"] for t in ticks)
    with django_db_blocker.unblock():
        for schema in _schemas():
            # The scheduler fired the slot once; the poll plan moved it on by the interval.
            schedule = Schedule.objects.get(name=f"poll:{schema}")
            assert schedule.next_run - slot == timedelta(minutes=1)
    assert set(by_cluster) == {"A", "B"}, f"work not shared: {by_cluster}"
    return by_cluster


@pytest.mark.django_db
def test_every_practice_is_scheduled_every_minute(scale_practices):
    for schema in _schemas():
        schedule = Schedule.objects.get(name=f"poll:{schema}")
        assert (schedule.func, schedule.args, schedule.minutes, schedule.repeats) == (
            POLL_TASK, repr((schema,)), 1, -1)


def test_two_qclusters_share_the_orm_broker(scale_practices, django_db_blocker):
    slot, runs = _run_two_clusters(django_db_blocker, REDIS_URL="")
    shared = _assert_shared_on_schedule_without_overlap(slot, runs, django_db_blocker)
    print(f"ORM broker: ticks per cluster {dict(shared)}, "
          f"lock skips {sum(r.kind == 'tick_skipped' for rs in runs.values() for r in rs)}")


def test_two_qclusters_share_the_redis_broker(scale_practices, django_db_blocker):
    client = redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.ConnectionError as exc:
        pytest.fail(f"Redis must run at {REDIS_TEST_URL} for the Redis broker test: {exc}")
    client.flushdb()
    try:
        slot, runs = _run_two_clusters(django_db_blocker, REDIS_URL=REDIS_TEST_URL)
    finally:
        client.flushdb()
    with django_db_blocker.unblock():
        assert not OrmQ.objects.exists()  # the tasks went through Redis, not PostgreSQL
    shared = _assert_shared_on_schedule_without_overlap(slot, runs, django_db_blocker)
    print(f"Redis broker: ticks per cluster {dict(shared)}, "
          f"lock skips {sum(r.kind == 'tick_skipped' for rs in runs.values() for r in rs)}")
