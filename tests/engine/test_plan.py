"""Only the difference is written; enrolments happen once."""

from __future__ import annotations

from integrations.engine.desired import contact_desired
from integrations.engine.facts import Routing
from integrations.engine.plan import CONTACT_PARTS, contact_plan, op_replan
from tests.engine.builders import TODAY, appointment, patient, rules


def _desired(**rule_overrides):
    return contact_desired(patient=patient(), appointments=[appointment(location_id="loc-2")],
                           payments=[], rules=rules(**rule_overrides), today=TODAY)


def test_an_unchanged_contact_plans_nothing():
    ops, state = contact_plan(previous={}, desired=_desired(), version=1)
    assert {op.kind for op in ops} == {"contact_upsert", "opportunity_upsert"}
    again, _ = contact_plan(previous=state, desired=_desired(), version=2)
    assert again == []


def test_a_state_that_flips_back_still_gets_written():
    first, a = contact_plan(previous={}, desired=_desired(), version=1)
    _, b = contact_plan(previous=a, desired=_desired(service_tag_template="x"), version=2)
    changed = contact_desired(patient=patient(given="Danielle"), appointments=[appointment()],
                              payments=[], rules=rules(), today=TODAY)
    ops_b, c = contact_plan(previous=b, desired=changed, version=3)
    ops_a, _ = contact_plan(previous=c, desired=_desired(), version=4)
    keys = [op.key for op in first + ops_b + ops_a]
    assert len(keys) == len(set(keys))
    assert any(op.kind == "contact_upsert" for op in ops_a)


def test_a_location_workflow_is_enrolled_once():
    routed = {"loc-2": Routing(workflow_id="wf-uptown")}
    ops, state = contact_plan(previous={}, desired=_desired(routing=routed), version=1)
    assert [op.payload for op in ops if op.kind == "workflow_enrol"] == [
        {"workflow_id": "wf-uptown"}]
    again, _ = contact_plan(previous=state, desired=_desired(routing=routed), version=2)
    assert not [op for op in again if op.kind == "workflow_enrol"]


def test_a_retried_write_is_planned_again_from_the_latest_state():
    _, old = contact_plan(previous={}, desired=_desired(), version=1)
    _, latest = contact_plan(previous=old, desired=contact_desired(
        patient=patient(given="Danielle"), appointments=[appointment()], payments=[],
        rules=rules(), today=TODAY), version=2)
    upsert = op_replan("contact_upsert", {part: old[part] for part in CONTACT_PARTS}, latest)
    assert upsert is not None and upsert["core"]["firstName"] == "Danielle"
    # Tags the contact should no longer get (or keep) are not written; nothing left: None.
    assert op_replan("tags_add", {"tags": ["gone"]}, latest) is None
    assert op_replan("tags_remove", {"tags": ["gone"]}, latest) == {"tags": ["gone"]}
    (pipeline,) = latest["opportunities"]
    assert op_replan("opportunity_upsert", {"pipeline": pipeline, "stage": "x"}, latest) == {
        "pipeline": pipeline, **latest["opportunities"][pipeline]}
    # Events are history: a note is sent as it was written.
    assert op_replan("note_add", {"body": "b"}, latest) == {"body": "b"}


def test_a_write_records_each_changed_value_from_what_to_what_and_the_stage_it_leaves():
    from integrations.categories import Stage

    first, state = contact_plan(previous={}, desired=_desired(), version=1)
    created = next(op for op in first if op.kind == "contact_upsert")
    assert {"field": "firstName", "from": "", "to": "Dana"} in created.payload["changes"]
    changed = contact_desired(
        patient=patient(given="Danielle"),
        appointments=[appointment(location_id="loc-2", status="fulfilled")],
        payments=[], rules=rules(), today=TODAY)
    ops, _ = contact_plan(previous=state, desired=changed, version=2)
    upsert = next(op for op in ops if op.kind == "contact_upsert")
    assert {"field": "firstName", "from": "Dana", "to": "Danielle"} in upsert.payload["changes"]
    assert all(change["from"] != change["to"] for change in upsert.payload["changes"])
    opportunity = next(op for op in ops if op.kind == "opportunity_upsert")
    assert (opportunity.payload["from_stage"], opportunity.payload["stage"]) == (
        Stage.CONSULT_BOOKED.value, Stage.CONSULT_COMPLETE.value)
