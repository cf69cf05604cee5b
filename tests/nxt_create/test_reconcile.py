"""GoHighLevel never re-sends a lost webhook: every tick looks for what was missed, and
idle ticks between two searches make no CRM call."""

from __future__ import annotations

from integrations.engine.tick import practice_tick
from integrations.models import EngineSettings, NxtCreateRequest, NxtCreateSweep
from integrations.nxt_create.reconcile import ReconcileResult, nxt_create_reconcile
from integrations.nxt_create.service import nxt_create_retry


def _tick(rig, practice):
    return practice_tick(practice=practice, nextech=rig.nextech, ghl=rig.ghl, clock=rig.clock)


def test_a_lost_webhook_is_caught_by_the_next_tick(rig, in_practice):
    contact_id = rig.contact_add()
    rig.tag(contact_id)  # the sandbox has no webhook URL: nothing reaches AX Connect

    summary = _tick(rig, in_practice)

    assert summary["errors"] == 0 and summary["nxt_create"] == {"created": 1}
    (patient,) = rig.emr_patients()
    contact = rig.by_id(contact_id)
    assert contact["customFields"]["nxt_patient_id"] == patient.id
    assert "NXT-Created" in contact["tags"]
    request = NxtCreateRequest.objects.get(contact_id=contact_id)
    assert request.tagged_at == request.created_at == rig.clock.now()  # found by this tick


def test_the_search_runs_at_most_every_fifteen_minutes_and_idle_ticks_call_nothing(
        rig, in_practice):
    _tick(rig, in_practice)
    searched = NxtCreateSweep.current().searched_at
    for _ in range(2):
        rig.later(5)
        before = rig.ghl.calls
        _tick(rig, in_practice)
        assert rig.ghl.calls == before  # idle, and the search is not due
    assert NxtCreateSweep.current().searched_at == searched
    rig.later(5)
    before = rig.ghl.calls
    _tick(rig, in_practice)
    assert rig.ghl.calls == before + 1  # fifteen minutes on: one search, nothing tagged
    assert NxtCreateSweep.current().searched_at == rig.clock.now()


def test_an_idle_tick_between_searches_reads_its_nxt_create_work_in_one_statement(
        rig, in_practice, django_assert_num_queries):
    _tick(rig, in_practice)  # searched: the next search is fifteen minutes away
    rig.later(5)
    settings = EngineSettings.current()  # the tick has read them already

    with django_assert_num_queries(1):
        result = nxt_create_reconcile(practice=in_practice, clients=rig.clients(),
                                      settings=settings)

    assert result == ReconcileResult()


def test_the_search_interval_is_a_practice_setting(rig, in_practice):
    EngineSettings.objects.update_or_create(pk=1, defaults={"nxt_create_reconcile_minutes": 1})
    _tick(rig, in_practice)
    contact_id = rig.contact_add()
    rig.tag(contact_id)
    rig.later(1)

    assert _tick(rig, in_practice)["nxt_create"] == {"created": 1}


def test_a_stale_search_hit_after_the_webhook_creates_nothing_more(rig, in_practice,
                                                                   monkeypatch):
    contact_id = rig.contact_add()
    rig.tag(contact_id)
    stale = rig.ghl.contact_get(contact_id=contact_id)  # as the lagging search index has it
    assert rig.process(in_practice, contact_id).value == "created"
    monkeypatch.setattr(rig.ghl, "contacts_with_tag", lambda *, tag: iter([stale]))

    result = nxt_create_reconcile(practice=in_practice, clients=rig.clients(), search=True)

    assert result.outcomes == {"stale": 1}
    assert len(rig.emr_patients()) == 1 and len(rig.by_id(contact_id)["notes"]) == 1


def test_a_retry_from_the_admin_is_run_by_the_next_tick(rig, in_practice):
    contact_id = rig.contact_add(dateOfBirth=None)
    rig.tag(contact_id)
    rig.process(in_practice, contact_id)
    request = NxtCreateRequest.objects.get(contact_id=contact_id)
    assert request.state == NxtCreateRequest.State.FAILED
    rig.session.put(f"http://ghl.sandbox/contacts/{contact_id}",  # the front desk fixes it
                    json={"dateOfBirth": "1990-06-15"},
                    headers={"Authorization": f"Bearer {rig.ghl_token}", "Version": "2021-07-28"},
                    timeout=5).raise_for_status()
    assert nxt_create_retry(request_ids=[request.pk]) == 1
    rig.later()
    _tick(rig, in_practice)

    (patient,) = rig.emr_patients()
    contact = rig.by_id(contact_id)
    assert "NXT-Created" in contact["tags"] and "NXT-Create-Error" not in contact["tags"]
    assert contact["customFields"]["nxt_patient_id"] == patient.id
    assert NxtCreateRequest.objects.get(pk=request.pk).state == NxtCreateRequest.State.CREATED


def test_a_tick_a_moment_early_still_runs_the_due_search(rig, in_practice):
    _tick(rig, in_practice)
    rig.later(15 - 1 / 60)  # the tick that should search lands a second early
    before = rig.ghl.calls
    _tick(rig, in_practice)
    assert rig.ghl.calls == before + 1
