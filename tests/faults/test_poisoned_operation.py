"""A poisoned operation (one this code cannot send, whatever GoHighLevel says) holds up its
own patient only: every try counts, says why, and ends in a dead letter with its reason,
while every other patient's writes go out."""

from __future__ import annotations

from typing import Any

from integrations.engine.outbox import MAX_ATTEMPTS
from integrations.models import OutboxOp
from tests.faults.world import FaultRig, assert_recovered, week_run

# A stage an older release queued under a name this one no longer has.
RETIRED_STAGE = "surgical:consult_scheduled"
REASON = f"ValueError: '{RETIRED_STAGE}' is not a valid Stage"


def test_a_poisoned_operation_is_dead_lettered_and_holds_up_no_other_patient(
        rig: FaultRig, baseline: dict[str, Any]) -> None:
    poisoned: list[OutboxOp] = []
    cleo = ben = ""

    def poison() -> None:
        nonlocal cleo, ben
        by_name = {c["name"][0]: c["fields"]["nxt_patient_id"] for c in rig.crm_view().values()}
        cleo, ben = by_name["Cleo"], by_name["Ben"]
        poisoned.append(OutboxOp.objects.create(
            key=f"opp:{cleo}:surgical:v-old", patient_id=cleo, kind="opportunity_upsert",
            payload={"pipeline": "surgical", "stage": RETIRED_STAGE, "status": "open",
                     "name": "Cleo Faults"}))

    week_run(rig, poison)
    rig.ticks(1)

    # In the same tick: Ben's visit went out in full, Cleo's no-show waits behind the
    # poisoned write, which says why it failed.
    view = rig.crm_view()
    assert view[ben] == baseline[ben]
    assert len(view[cleo]["notes"]) < len(baseline[cleo]["notes"])
    op = OutboxOp.objects.get(pk=poisoned[0].pk)
    assert (op.state, op.attempts, op.last_error) == (OutboxOp.State.PENDING, 1, REASON)

    rig.settle()

    op.refresh_from_db()
    assert (op.state, op.attempts, op.last_error) == (OutboxOp.State.DEAD, MAX_ATTEMPTS, REASON)
    # Then Cleo's own writes went out too: the CRM ends as in a run without the poison.
    assert_recovered(rig, baseline, dead_outbox=[REASON])
