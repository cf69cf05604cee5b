"""A real qcluster runs each practice's scheduled poll in that practice's schema, and two
ticks of one practice started together never overlap."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from django_q.models import OrmQ, Schedule, Task
from django_q.tasks import async_task
from django_tenants.utils import schema_context

from integrations.models import SyncLog
from tenants.models import Practice
from tenants.schedule import POLL_TASK
from tenants.services import practice_create
from tests.support.qcluster import running_qcluster, wait_until


@pytest.fixture
def committed_practice(practices, django_db_blocker):
    """An active practice whose rows are committed, so the qcluster process sees them."""
    with django_db_blocker.unblock():
        Practice.objects.filter(slug="qcluster").delete()
        practice = practice_create(
            practice=Practice(
                name="Queue Test Clinic",
                slug="qcluster",
                status=Practice.Status.ACTIVE,
                poll_interval_minutes=1,
            )
        )
        Schedule.objects.filter(name="poll:p_qcluster").update(
            next_run=timezone.now() - timedelta(seconds=1)
        )
        try:
            yield practice
        finally:
            Schedule.objects.filter(name="poll:p_qcluster").delete()
            OrmQ.objects.all().delete()
            Task.objects.filter(func=POLL_TASK).delete()
            practice.delete(force_drop=True)


def _ticks() -> list[SyncLog]:
    with schema_context("p_qcluster"):
        return list(SyncLog.objects.filter(kind="tick").order_by("id"))


def _skips() -> int:
    with schema_context("p_qcluster"):
        return SyncLog.objects.filter(kind="tick_skipped").count()


def test_qcluster_polls_in_the_practice_schema_without_overlap(committed_practice):
    with running_qcluster(
        AXC_TICK_FUNCTION="tests.support.ticks.slow_tick", AXC_TEST_TICK_SECONDS="3"
    ) as output:
        # 1. The schedule fires and the tick runs inside the practice's schema.
        wait_until(lambda: len(_ticks()) == 1, seconds=60, describe=output)
        assert _ticks()[0].details["schema"] == "p_qcluster"

        # 2. Two polls of the same practice queued together, with two workers free.
        async_task(POLL_TASK, "p_qcluster")
        async_task(POLL_TASK, "p_qcluster")
        wait_until(lambda: len(_ticks()) + _skips() == 3, seconds=60, describe=output)

    ticks = _ticks()
    spans = sorted(
        (
            datetime.fromisoformat(t.details["started"]),
            datetime.fromisoformat(t.details["finished"]),
        )
        for t in ticks
    )
    for (_, earlier_end), (later_start, _) in zip(spans, spans[1:], strict=False):
        assert later_start >= earlier_end, "two ticks of one practice overlapped"
    assert {t.details["schema"] for t in ticks} == {"p_qcluster"}
    # Two ticks of one practice started at once: one ran, the other saw the lock and said so.
    assert _skips() == 1
