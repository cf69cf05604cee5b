"""Two ticks of one practice never run at once; a paused practice is not polled."""

from __future__ import annotations

import threading

from django.db import connection
from django_tenants.utils import schema_context

from integrations.locking import practice_tick_lock
from integrations.models import SyncLog
from integrations.tasks import practice_poll
from tenants.models import Practice
from tenants.services import practice_set_status


def test_lock_is_refused_to_a_second_connection_while_held(practices, django_db_blocker):
    held = threading.Event()
    release = threading.Event()
    seen_by_other: list[bool] = []

    def holder() -> None:
        with django_db_blocker.unblock(), practice_tick_lock("p_alpha") as acquired:
            assert acquired
            held.set()
            release.wait(10)
        connection.close()

    def contender() -> None:
        with django_db_blocker.unblock(), practice_tick_lock("p_alpha") as acquired:
            seen_by_other.append(acquired)
        connection.close()

    first = threading.Thread(target=holder)
    first.start()
    assert held.wait(10)
    second = threading.Thread(target=contender)
    second.start()
    second.join(10)
    release.set()
    first.join(10)
    assert seen_by_other == [False]

    # Released: the next tick gets it.
    third = threading.Thread(target=contender)
    third.start()
    third.join(10)
    assert seen_by_other == [False, True]


def test_poll_runs_the_tick_in_the_practices_schema(practice_a, settings):
    settings.AXC_TICK_FUNCTION = "tests.support.ticks.recording_tick"
    result = practice_poll(practice_a.schema_name)
    assert result["practice"] == "p_alpha"
    with schema_context("p_alpha"):
        log = SyncLog.objects.get(kind="tick")
        assert log.details["schema"] == "p_alpha"
    with schema_context("p_bravo"):
        assert not SyncLog.objects.filter(kind="tick").exists()


def test_poll_skips_and_says_so_while_another_worker_ticks(practice_a, django_db_blocker):
    held, release = threading.Event(), threading.Event()

    def other_worker() -> None:
        with django_db_blocker.unblock(), practice_tick_lock("p_alpha"):
            held.set()
            release.wait(10)
        connection.close()

    worker = threading.Thread(target=other_worker)
    worker.start()
    assert held.wait(10)
    try:
        result = practice_poll(practice_a.schema_name)
    finally:
        release.set()
        worker.join(10)
    assert result["skipped"] == "locked"
    with schema_context("p_alpha"):
        assert SyncLog.objects.filter(kind="tick_skipped").count() == 1
        assert not SyncLog.objects.filter(kind="tick").exists()


def test_paused_practice_is_not_polled(practice_a):
    practice_set_status(
        practice=practice_a, status=Practice.Status.PAUSED, reason="Onboarding call"
    )
    result = practice_poll(practice_a.schema_name)
    assert result["skipped"] == "status is paused"
    with schema_context("p_alpha"):
        assert not SyncLog.objects.filter(kind="tick").exists()
