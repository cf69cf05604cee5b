"""`python -m bench.tick_profile` measures both kinds of tick of a served practice."""

from __future__ import annotations

from bench.tick_profile import ticks_measure
from tenants.models import Practice


def test_the_tick_profile_counts_idle_and_event_ticks(practices, django_db_blocker):
    with django_db_blocker.unblock():
        idle, event = ticks_measure(ticks=2, profile=True)
        left_behind = Practice.objects.filter(slug__startswith="bench-").count()

    assert (idle.kind, event.kind) == ("idle", "event")
    # An event tick writes the visit (inbox, outbox, CRM log) on top of what an idle tick reads.
    assert 0 < idle.statements < event.statements
    assert idle.cpu_ms > 0 and event.cpu_ms > 0
    assert "practice_poll" in idle.profile
    assert any("integrations_cursor" in sql for sql in idle.last_statements)
    assert left_behind == 0
