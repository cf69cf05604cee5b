"""The practice admin in staff's words: CRM writes (not "outbox ops") with the patient's
name beside the id, and audit logs nobody can delete from it."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from integrations.models import KnownPatient, OutboxOp, PatientAccessLog, SyncLog
from tests.support.staff import staff_login


@pytest.fixture
def staff(in_practice) -> Client:
    client = Client(HTTP_HOST="alpha.localhost")
    staff_login(client, User.objects.create_superuser("ops", "ops@example.com", "horse 42"))
    return client


def test_crm_writes_are_named_for_people_with_the_patient_beside_the_id(staff):
    KnownPatient.objects.create(nextech_id="4711", given="Jane", family="Doe")
    OutboxOp.objects.create(key="k1", patient_id="4711", kind="opportunity_upsert", payload={},
                            state=OutboxOp.State.DEAD, last_error="stage not mapped")
    OutboxOp.objects.create(key="k2", patient_id="999", kind="contact_upsert", payload={})
    index = staff.get("/admin/").content.decode()
    assert "CRM writes" in index and "Outbox ops" not in index
    page = staff.get("/admin/integrations/outboxop/").content.decode()
    assert "<h1>CRM writes</h1>" in page
    assert "A CRM write is one change AX Connect sends to GoHighLevel" in page
    assert "Jane Doe (4711)" in page and "Create or move the opportunity" in page
    assert ">999<" in page  # a patient not read yet keeps its id alone
    one = OutboxOp.objects.get(key="k1")
    assert "<h1>CRM write</h1>" in staff.get(
        f"/admin/integrations/outboxop/{one.pk}/change/").content.decode()


@pytest.mark.parametrize("model,path", [(SyncLog, "synclog"),
                                        (PatientAccessLog, "patientaccesslog")])
def test_audit_logs_cannot_be_deleted_one_by_one_or_in_bulk(staff, model, path):
    KnownPatient.objects.create(nextech_id="4711", given="Jane", family="Doe")
    if model is SyncLog:
        row = SyncLog.objects.create(kind="event", message="Appointment booked",
                                     patient_ref="4711")
    else:
        row = PatientAccessLog.objects.create(user_id=1, username="frontdesk",
                                              patient_ref="4711", view="activity")
    page = staff.get(f"/admin/integrations/{path}/").content.decode()
    assert "Jane Doe (4711)" in page
    assert 'name="action"' not in page and "delete_selected" not in page
    staff.post(f"/admin/integrations/{path}/",
               {"action": "delete_selected", "post": "yes", "_selected_action": [row.pk]})
    assert staff.get(f"/admin/integrations/{path}/{row.pk}/delete/").status_code == 403
    staff.post(f"/admin/integrations/{path}/{row.pk}/delete/", {"post": "yes"})
    assert model.objects.filter(pk=row.pk).exists()


def test_nxt_create_requests_name_the_patient_they_created(staff):
    from integrations.models import NxtCreateRequest

    KnownPatient.objects.create(nextech_id="5150", given="Rosa", family="Parks")
    NxtCreateRequest.objects.create(contact_id="c-1", state="created", nextech_id="5150")
    page = staff.get("/admin/integrations/nxtcreaterequest/").content.decode()
    assert "Rosa Parks (5150)" in page
