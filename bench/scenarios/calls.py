"""API calls per event over the demo week, per re-poll of that week, and per idle tick."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django_tenants.utils import schema_context

from bench.practices import bench_practices
from bench.ticks import TickTotals, tick_timed, ticks_until_quiet
from bench.world import World
from integrations.models import Cursor, EngineSettings, InboxItem
from integrations.nextech.sandbox.seed import seed_demo_week
from tenants.models import Practice

POLL_SECONDS = 300  # the default interval between a practice's ticks


def _synced_week(world: World) -> tuple[TickTotals, Counter[str]]:
    """Sync the demo week from scratch; what it took and the GoHighLevel calls by route."""
    world.crm_setup()
    seed_demo_week(world.emr)
    world.clock.advance(60)
    before = Counter(world.ghl_app.state.counters)
    totals = ticks_until_quiet(world)
    return totals, Counter(world.ghl_app.state.counters) - before


def _repoll(world: World, *, inbox_too: bool) -> TickTotals:
    """Forget where reading stopped (and, with `inbox_too`, what was read), then read again."""
    world.clock.advance(POLL_SECONDS)
    with schema_context(world.practice.schema_name):
        Cursor.objects.all().delete()
        if inbox_too:
            InboxItem.objects.all().delete()
    return ticks_until_quiet(world)


def _idle_tick(world: World) -> TickTotals:
    """The second of two ticks a poll interval apart with nothing changed in Nextech."""
    for _ in range(2):
        world.clock.advance(POLL_SECONDS)
        totals = TickTotals()
        tick_timed(world, totals)
    return totals


def calls_per_event_measure() -> dict[str, Any]:
    """Payments off for the week, so every event and every call belongs to an appointment;
    then on, as the demo practice has them, for the idle tick (three resources polled)."""
    with bench_practices(label="calls") as (practice,):
        world = World(practice=practice)
        with schema_context(practice.schema_name):
            # These are the sync engine's figures. The NXT-Create tag search (one CRM call
            # per `nxt_create_reconcile_minutes`, 5 by default) is kept out of them.
            EngineSettings.objects.update_or_create(
                pk=1, defaults={"nxt_create_reconcile_minutes": 24 * 60})
        week, routes = _synced_week(world)
        repoll = _repoll(world, inbox_too=False)
        lost = _repoll(world, inbox_too=True)
        idle_without = _idle_tick(world)
        Practice.objects.filter(pk=practice.pk).update(payments_enabled=True)
        practice.payments_enabled = True
        idle = _idle_tick(world)  # its first tick reads the payments for the first time
        with schema_context(practice.schema_name):
            known = InboxItem.objects.count()
    events = week.events
    return {
        "demo_week_appointment_events": events,
        "ghl_calls_per_appointment_event": round(week.ghl_calls / events, 2),
        "nextech_calls_per_appointment_event": round(week.nextech_calls / events, 3),
        "demo_week_ghl_calls_by_route": dict(routes.most_common()),
        "ghl_calls_per_repoll": repoll.ghl_calls,
        "nextech_calls_per_repoll_event": round(repoll.nextech_calls / events, 3),
        "ghl_calls_per_repoll_inbox_lost": lost.ghl_calls,
        "nextech_calls_per_idle_tick": idle.nextech_calls,
        "ghl_calls_per_idle_tick": idle.ghl_calls,
        "nextech_calls_per_idle_tick_no_payments": idle_without.nextech_calls,
        "idle_tick_inbox_rows": known,
        "demo_week_errors": week.errors + week.dead_letters + repoll.errors + lost.errors,
    }
