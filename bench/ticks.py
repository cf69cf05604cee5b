"""Running ticks until a practice has nothing left to do, and adding up what they did."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django_tenants.utils import schema_context

from bench.world import World
from integrations.engine.read import BACKFILL
from integrations.models import Cursor, InboxItem, OutboxOp
from tenants.models import Practice

# One tick reads at most 40 pages per resource; more than this many ticks to drain a
# benchmark's data means the engine stopped making progress.
MAX_TICKS = 200


@dataclass
class TickTotals:
    ticks: int = 0
    events: int = 0
    nextech_calls: int = 0
    ghl_calls: int = 0
    operations_sent: int = 0
    errors: int = 0
    dead_letters: int = 0
    durations: list[float] = field(default_factory=list)  # on the world's clock

    def add(self, summary: dict[str, Any], duration: float) -> None:
        self.ticks += 1
        self.events += int(summary.get("events_processed", 0))
        self.nextech_calls += int(summary.get("nextech_calls", 0))
        self.ghl_calls += int(summary.get("ghl_calls", 0))
        self.operations_sent += int(summary.get("operations_sent", 0))
        self.errors += int(summary.get("errors", 0))
        self.dead_letters += int(summary.get("dead_letters", 0))
        self.durations.append(duration)


def engine_quiet(practice: Practice) -> bool:
    """Nothing unread, undecided or unsent: every scan finished, inbox and outbox empty."""
    with schema_context(practice.schema_name):
        return not (
            InboxItem.objects.filter(state=InboxItem.State.NEW).exists()
            or OutboxOp.objects.filter(state=OutboxOp.State.PENDING).exists()
            or Cursor.objects.exclude(resume_link="").exists()
            or Cursor.objects.filter(resource=BACKFILL, position__isnull=True).exists()
        )


def tick_timed(world: World, totals: TickTotals) -> dict[str, Any]:
    started = world.clock.monotonic()
    summary = world.tick()
    totals.add(summary, world.clock.monotonic() - started)
    return summary


def ticks_until_quiet(world: World, *, max_ticks: int = MAX_TICKS) -> TickTotals:
    """Tick back to back (as a practice whose tick overruns its slot is) until quiet."""
    totals = TickTotals()
    while True:
        tick_timed(world, totals)
        if engine_quiet(world.practice):
            return totals
        if totals.ticks >= max_ticks:
            raise RuntimeError(f"{world.practice.slug} still busy after {max_ticks} ticks")
