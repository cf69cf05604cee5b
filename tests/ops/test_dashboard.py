"""The agency's practice health page lists every practice, worst first."""

from __future__ import annotations

import re

from django.utils import timezone
from django_tenants.utils import schema_context

from integrations.models import OutboxOp, SyncState
from tenants.models import Practice
from tenants.services import practice_set_status


def test_the_dashboard_lists_practices_worst_first(admin_client, practice_a, practice_b,
                                                    settings):
    with schema_context(practice_b.schema_name):
        OutboxOp.objects.create(key="k1", patient_id="1", kind="contact_upsert", payload={},
                                state=OutboxOp.State.DEAD)
    with schema_context(practice_a.schema_name):
        SyncState.current()
        SyncState.objects.filter(pk=1).update(last_success_at=timezone.now())
    page = admin_client.get("/admin/tenants/practicehealth/", HTTP_HOST=settings.BASE_DOMAIN)
    assert page.status_code == 200
    order = re.findall(r'data-schema="(\w+)"', page.content.decode())
    assert order.index("p_bravo") < order.index("p_alpha")  # a dead letter beats healthy
    assert "1 dead letters" in page.content.decode()

    practice_set_status(practice=practice_a, status=Practice.Status.NEEDS_ATTENTION,
                        reason="GoHighLevel credentials failed: reconnect")
    page = admin_client.get("/admin/tenants/practicehealth/", HTTP_HOST=settings.BASE_DOMAIN)
    order = re.findall(r'data-schema="(\w+)"', page.content.decode())
    assert order.index("p_alpha") < order.index("p_bravo")
    assert "GoHighLevel credentials failed: reconnect" in page.content.decode()
