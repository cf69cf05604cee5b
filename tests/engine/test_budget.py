"""A tick stops deciding and writing when its time budget is spent; the next tick goes on."""

from __future__ import annotations

from integrations.engine.outbox import outbox_drain
from integrations.engine.tick import practice_tick
from integrations.models import OutboxOp


def test_a_spent_write_budget_leaves_the_rest_for_the_next_tick(rig, in_practice, settings):
    for n in range(3):
        rig.book(rig.patient_add(f"Pat{n}", "Budget"), type_id="5")
    rig.later()
    settings.AXC_TICK_BUDGET_SECONDS = 0  # decide nothing, write nothing this tick
    practice_tick(practice=in_practice, nextech=rig.nextech, ghl=rig.ghl, clock=rig.clock)
    assert rig.crm()["contacts"] == []

    settings.AXC_TICK_BUDGET_SECONDS = 180
    practice_tick(practice=in_practice, nextech=rig.nextech, ghl=rig.ghl, clock=rig.clock)
    assert len(rig.crm()["contacts"]) == 3
    assert not OutboxOp.objects.exclude(state=OutboxOp.State.DONE).exists()


def test_a_zero_write_budget_sends_nothing(rig, in_practice):
    for n in range(3):
        rig.book(rig.patient_add(f"Pat{n}", "Budget"), type_id="5")
    rig.later()
    practice_tick(practice=in_practice, nextech=rig.nextech, ghl=rig.ghl, clock=rig.clock)
    OutboxOp.objects.update(state=OutboxOp.State.PENDING)  # as if nothing had been sent
    rig.clock.advance(1)
    result = outbox_drain(client=rig.ghl, clock=rig.clock, budget_seconds=0)
    assert result.sent == 0 and result.deferred == 1
