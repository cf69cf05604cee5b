"""What the product says about a practice never contradicts itself: no "on schedule" while
its credentials fail, no "notified" without an email."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_tenants.utils import schema_context

from integrations.models import SyncState
from integrations.selectors.health import sync_health_read
from tenants.alerts import alerts_check
from tenants.models import Incident, Practice
from tenants.services import practice_set_status


def test_never_on_schedule_while_credentials_fail(practice_a):
    now = timezone.now()
    with schema_context(practice_a.schema_name):
        SyncState.current()
        SyncState.objects.filter(pk=1).update(last_success_at=now - timedelta(minutes=1))
        assert not sync_health_read(practice=practice_a, now=now).late
        practice_set_status(practice=practice_a, status=Practice.Status.NEEDS_ATTENTION,
                            reason="Nextech credentials failed: invalid_grant")
        health = sync_health_read(practice=practice_a, now=now)
    assert health.late  # the portal says "behind schedule" with the reason
    assert health.last_error == "Nextech credentials failed: invalid_grant"


def test_an_incident_is_notified_only_when_an_email_went_out(practice_a, settings, mailoutbox,
                                                              admin_client):
    settings.ALERT_EMAILS = []
    practice_set_status(practice=practice_a, status=Practice.Status.NEEDS_ATTENTION,
                        reason="Nextech credentials failed: invalid_grant")
    assert alerts_check(practices=[practice_a])["emails"] == 0
    incident = Incident.objects.get(practice=practice_a)
    assert incident.opened_notified_at is None and mailoutbox == []
    page = admin_client.get("/admin/tenants/incident/", HTTP_HOST=settings.BASE_DOMAIN)
    assert "not emailed (ALERT_EMAILS is empty)" in page.content.decode()

    settings.ALERT_EMAILS = ["ops@agency.example"]
    assert alerts_check(practices=[practice_a])["emails"] == 1
    incident.refresh_from_db()
    assert incident.opened_notified_at is not None and len(mailoutbox) == 1
    page = admin_client.get("/admin/tenants/incident/", HTTP_HOST=settings.BASE_DOMAIN)
    assert "opening emailed" in page.content.decode()
