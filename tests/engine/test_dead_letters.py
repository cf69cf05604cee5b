"""Dead letters say why, and staff can send them again once the cause is fixed."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command

from integrations.engine.tick import practice_tick
from integrations.models import OutboxOp, StageMapping, SyncLog
from tests.support.staff import staff_login


def tick(rig, practice):
    return practice_tick(practice=practice, nextech=rig.nextech, ghl=rig.ghl, clock=rig.clock)


def test_a_missing_stage_mapping_dead_letters_the_move_and_replay_sends_it(rig, in_practice):
    consult_booked = StageMapping.objects.get(canonical_stage="surgical:consult_booked")
    saved = {f: getattr(consult_booked, f) for f in ("ghl_pipeline_id", "ghl_stage_id",
                                                     "ghl_pipeline_name", "ghl_stage_name")}
    consult_booked.delete()
    rig.book(rig.patient_add(), type_id="1")
    rig.later()
    summary = tick(rig, in_practice)

    dead = OutboxOp.objects.get(state=OutboxOp.State.DEAD)
    assert dead.kind == "opportunity_upsert"
    assert "no GoHighLevel stage is mapped for Consult Booked" in dead.last_error
    assert summary["dead_letters"] == 1
    assert SyncLog.objects.filter(kind="dead_letter", level="error").exists()
    assert rig.contact("dana.reyes@example.com")["opportunities"] == []

    StageMapping.objects.create(canonical_stage="surgical:consult_booked", **saved)
    out = StringIO()
    call_command("replay", "alpha", str(dead.pk), "--op", stdout=out)
    assert "1 queued again" in out.getvalue()
    tick(rig, in_practice)
    (opportunity,) = rig.contact("dana.reyes@example.com")["opportunities"]
    assert opportunity["stage"] == "Consult Booked"


def test_staff_retry_a_dead_write_from_the_practice_admin(rig, in_practice):
    from django.contrib.auth.models import User
    from django.test import Client

    StageMapping.objects.filter(canonical_stage="surgical:consult_booked").delete()
    rig.book(rig.patient_add(), type_id="1")
    rig.later()
    tick(rig, in_practice)
    dead = OutboxOp.objects.get(state=OutboxOp.State.DEAD)

    staff = User.objects.create_superuser("ops", "ops@example.com", "correct horse 42")
    client = Client(HTTP_HOST="alpha.localhost")
    staff_login(client, staff)
    page = client.get("/admin/integrations/outboxop/?state__exact=dead").content.decode()
    assert "no GoHighLevel stage is mapped for Consult Booked" in page
    response = client.post("/admin/integrations/outboxop/",
                           {"action": "retry", "_selected_action": [dead.pk]}, follow=True)
    assert "1 write(s) queued for the next poll." in response.content.decode()
    dead.refresh_from_db()
    assert dead.state == OutboxOp.State.PENDING


def test_agency_staff_set_automations_in_the_practice_admin(in_practice):
    from django.contrib.auth.models import User
    from django.test import Client

    from integrations.models import AutomationRule

    staff = User.objects.create_superuser("ops2", "ops2@example.com", "correct horse 42")
    client = Client(HTTP_HOST="alpha.localhost")
    staff_login(client, staff)
    response = client.post("/admin/integrations/automationrule/add/", {
        "trigger": "fulfilled", "workflow_id": "wf-review", "workflow_name": "Review request",
        "categories": '["non_surgical_appointment"]', "active": "on"})
    assert response.status_code == 302, response.content.decode()[:500]
    rule = AutomationRule.objects.get()
    assert rule.categories == ["non_surgical_appointment"]
    assert client.get("/admin/integrations/enginesettings/add/").status_code == 200
