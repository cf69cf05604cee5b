"""The spec's automations: workflows per trigger (with category filters), the review
request with its per-contact cooldown, the birthday workflow, and service tags."""

from __future__ import annotations

from integrations.engine.tick import practice_tick
from integrations.models import AutomationRule, EngineSettings


def _tick(rig, practice):
    summary = practice_tick(practice=practice, nextech=rig.nextech, ghl=rig.ghl, clock=rig.clock)
    assert summary["errors"] == 0 and summary["dead_letters"] == 0, summary


def _workflows(rig):
    found = {w.name: w.id for w in rig.ghl.workflows_list()}
    assert len(found) >= 4, found
    return list(found.items())


def test_workflows_fire_per_trigger_and_category_once_per_event(rig, in_practice):
    (booked_name, booked_id), (done_name, done_id), (review_name, review_id), \
        (birthday_name, birthday_id) = _workflows(rig)[:4]
    AutomationRule.objects.create(trigger="booked", workflow_id=booked_id,
                                  categories=["non_surgical_appointment"])
    AutomationRule.objects.create(trigger="fulfilled", workflow_id=done_id)
    AutomationRule.objects.create(trigger="birthday", workflow_id=birthday_id)
    EngineSettings.objects.update_or_create(pk=1, defaults={
        "review_workflow_id": review_id, "review_cooldown_days": 90,
        "service_tag_template": "NXT Service: {service}"})

    patient = rig.patient_add()
    injectables = rig.book(patient, type_id="5", purpose_ids=["51"], days_ahead=0)
    rig.book(patient, type_id="1", days_ahead=9)  # a surgical consult: not in the filter
    rig.later()
    _tick(rig, in_practice)
    assert rig.contact("dana.reyes@example.com")["workflows"] == [booked_name]

    rig.set_status(injectables, "fulfilled")
    rig.later()
    _tick(rig, in_practice)
    contact = rig.contact("dana.reyes@example.com")
    assert sorted(contact["workflows"]) == sorted(
        [booked_name, done_name, review_name, birthday_name])
    assert "NXT Service: Botox" in contact["tags"]

    # Another fulfilled visit inside the 90-day cooldown: no second review request.
    follow_up = rig.book(patient, type_id="6", days_ahead=0)
    rig.set_status(follow_up, "fulfilled")
    rig.later()
    _tick(rig, in_practice)
    workflows = rig.contact("dana.reyes@example.com")["workflows"]
    assert workflows.count(review_name) == 1
    assert workflows.count(done_name) == 2  # the fulfilled trigger has no cooldown
    assert workflows.count(birthday_name) == 1  # the birthday was set once
