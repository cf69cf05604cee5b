"""Two ticks of one practice never run at once; a paused practice is not polled."""

from __future__ import annotations

import threading
from typing import Any

from django.db import DatabaseError, connection
from django_tenants.utils import schema_context

from integrations.locking import KEEPALIVES, practice_lock_key, practice_tick_lock
from integrations.models import SyncLog
from integrations.tasks import practice_poll
from tenants.models import Practice
from tenants.services import practice_create, practice_set_status
from tests.support.ticks import RENDEZVOUS


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


def test_a_lock_that_failed_to_release_goes_with_its_connection(practices,
                                                                django_db_blocker):
    """Tick threads keep their connection between ticks: an unlock that errors must not
    leave the practice locked on it (every later tick skipped as still running)."""
    outcome: list[Any] = []

    def refuse_unlock(execute: Any, sql: str, *args: Any) -> Any:
        if "pg_advisory_unlock" in sql:
            raise DatabaseError("server closed the connection unexpectedly")
        return execute(sql, *args)

    def failing_tick() -> None:
        with django_db_blocker.unblock(), connection.execute_wrapper(refuse_unlock):
            try:
                with practice_tick_lock("p_alpha") as acquired:
                    outcome.append(acquired)
            except DatabaseError:
                outcome.append("unlock failed")
        outcome.append(connection.connection is None)  # closed, not kept

    def next_tick() -> None:
        with django_db_blocker.unblock(), practice_tick_lock("p_alpha") as acquired:
            outcome.append(acquired)
        connection.close()

    for target in (failing_tick, next_tick):
        thread = threading.Thread(target=target)
        thread.start()
        thread.join(10)
    assert outcome == [True, "unlock failed", True, True]


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


def _hashtext_twins() -> tuple[str, str]:
    """Two practice slugs whose tick lock keys collide under PostgreSQL's 32-bit hashtext
    (the key this lock used to have)."""
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT min(i), max(i) FROM generate_series(1, 300000) AS i
            GROUP BY hashtext('axconnect:tick:p_lock' || i) HAVING count(*) > 1
            ORDER BY max(i) LIMIT 1""")
        first, second = cursor.fetchone()
    return f"lock{first}", f"lock{second}"


def test_practices_whose_names_collide_in_32_bits_tick_at_the_same_time(
        practices, django_db_blocker, settings):
    settings.AXC_TICK_FUNCTION = "tests.support.ticks.rendezvous_tick"
    with django_db_blocker.unblock():
        slugs = _hashtext_twins()
        Practice.objects.filter(slug__in=slugs).delete()
        twins = [practice_create(practice=Practice(name=f"Twin {slug}", slug=slug,
                                                   status=Practice.Status.ACTIVE))
                 for slug in slugs]
    assert practice_lock_key(twins[0].schema_name) != practice_lock_key(twins[1].schema_name)
    results: dict[str, dict[str, Any]] = {}

    def poll(schema_name: str) -> None:
        with django_db_blocker.unblock():
            results[schema_name] = practice_poll(schema_name)
        connection.close()

    RENDEZVOUS.reset()
    threads = [threading.Thread(target=poll, args=(p.schema_name,)) for p in twins]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(20)
    finally:
        with django_db_blocker.unblock():
            for practice in twins:
                practice.delete(force_drop=True)
    # Each ran its tick while the other's was running: neither was skipped as locked.
    assert {p.schema_name: results.get(p.schema_name, {}).get("met") for p in twins} == {
        p.schema_name: True for p in twins}


def test_the_locks_session_asks_the_server_for_tcp_keepalives(db):
    with practice_tick_lock("p_alpha") as acquired, connection.cursor() as cursor:
        assert acquired
        cursor.execute("SELECT name, source FROM pg_settings WHERE name = ANY(%s)",
                       [list(KEEPALIVES)])
        # Set for this session (a session over a Unix socket, as here, reads them as 0).
        assert dict(cursor.fetchall()) == dict.fromkeys(KEEPALIVES, "session")
