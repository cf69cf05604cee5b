"""One worker process runs several practices' ticks at once, never more than its threads,
and a poll that finds every thread busy says so instead of piling up."""

from __future__ import annotations

import threading
from datetime import datetime

import pytest
from django.utils import timezone
from django_q.models import OrmQ, Schedule, Task
from django_q.tasks import async_task
from django_tenants.utils import schema_context

from integrations.models import SyncLog
from integrations.tick_pool import TickPool
from tenants.models import Practice
from tenants.schedule import POLL_TASK
from tenants.services import practice_create
from tests.support.qcluster import running_qcluster, wait_until

SLUGS = ("pool-a", "pool-b", "pool-c")


class Gate:
    """A tick that holds its thread until released, counting how many run at once."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.running = self.most = 0
        self.ran: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, schema_name: str) -> dict[str, str]:
        with self._lock:
            self.running += 1
            self.most = max(self.most, self.running)
        self.release.wait(10)
        with self._lock:
            self.running -= 1
            self.ran.append(schema_name)
        return {"practice": schema_name}


def test_the_pool_runs_as_many_ticks_at_once_as_it_has_threads():
    gate = Gate()
    pool = TickPool(threads=3, tick=gate)
    started = [pool.submit(f"p_{n}", wait_seconds=5) for n in range(3)]
    # Every thread busy: a fourth poll waits, and gives up when none frees in time.
    assert pool.submit("p_late", wait_seconds=0.2) is None
    gate.release.set()
    assert [f.result(timeout=10) for f in started if f] == [
        {"practice": "p_0"}, {"practice": "p_1"}, {"practice": "p_2"}]
    assert gate.most == 3
    # The threads are free again.
    assert pool.submit("p_after", wait_seconds=1).result(timeout=10) == {"practice": "p_after"}
    pool.shutdown()
    assert sorted(gate.ran) == ["p_0", "p_1", "p_2", "p_after"]


def test_a_crashed_tick_frees_its_thread():
    def crash(schema_name: str) -> dict[str, str]:
        raise RuntimeError(f"boom in {schema_name}")

    pool = TickPool(threads=1, tick=crash)
    first = pool.submit("p_0", wait_seconds=1)
    assert first is not None
    with pytest.raises(RuntimeError, match="boom in p_0"):
        first.result(timeout=10)
    assert pool.submit("p_1", wait_seconds=5) is not None
    pool.shutdown()


@pytest.fixture
def pool_practices(practices, django_db_blocker):
    """Three active practices, committed so the qcluster process sees them."""
    with django_db_blocker.unblock():
        Practice.objects.filter(slug__in=SLUGS).delete()
        made = [practice_create(practice=Practice(
            name=f"Pool Clinic {slug}", slug=slug, status=Practice.Status.ACTIVE))
            for slug in SLUGS]
        # Their own schedules stay quiet: the test queues the polls itself.
        Schedule.objects.filter(name__in=[f"poll:{p.schema_name}" for p in made]).update(
            next_run=timezone.now() + timezone.timedelta(hours=1))
        try:
            yield made
        finally:
            Schedule.objects.filter(name__in=[f"poll:{p.schema_name}" for p in made]).delete()
            OrmQ.objects.all().delete()
            Task.objects.filter(func=POLL_TASK).delete()
            for practice in made:
                practice.delete(force_drop=True)


def _ticks(practices: list[Practice]) -> list[SyncLog]:
    found = []
    for practice in practices:
        with schema_context(practice.schema_name):
            found += list(SyncLog.objects.filter(kind="tick"))
    return found


def test_one_qcluster_worker_runs_several_practices_ticks_at_once(pool_practices,
                                                                   django_db_blocker):
    with django_db_blocker.unblock(), running_qcluster(
            Q_WORKERS="1", AXC_TICK_THREADS="4",
            AXC_TICK_FUNCTION="tests.support.ticks.slow_tick",
            AXC_TEST_TICK_SECONDS="4") as output:
        for practice in pool_practices:
            async_task(POLL_TASK, practice.schema_name)
        wait_until(lambda: len(_ticks(pool_practices)) == len(SLUGS), seconds=60,
                   describe=output)

    ticks = _ticks(pool_practices)
    assert {t.details["schema"] for t in ticks} == {p.schema_name for p in pool_practices}
    assert len({t.details["pid"] for t in ticks}) == 1, "one worker process ran them all"
    starts = [datetime.fromisoformat(t.details["started"]) for t in ticks]
    ends = [datetime.fromisoformat(t.details["finished"]) for t in ticks]
    assert max(starts) < min(ends), "the three 4-second ticks ran at the same time"
