"""The agency home lists the practices that need attention, worst first, from the gauges
each tick publishes; the practice list shows every practice's health and last sync."""

from __future__ import annotations

import re
from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from axconnect.metrics import gauge_set
from tenants.models import Incident, Practice
from tenants.services import practice_set_status


def _rows_only(count: int) -> None:
    """Practice rows without schemas: the home reads only the public schema."""
    now = timezone.now()
    Practice.objects.bulk_create([
        Practice(name=f"Row Only {n:02}", slug=f"row-only-{n}", schema_name=f"p_row_only_{n}",
                 status=Practice.Status.ACTIVE, status_changed_at=now) for n in range(count)])
    for n in range(count):
        gauge_set(name="axc_last_success_timestamp_seconds", practice=f"p_row_only_{n}",
                  value=now.timestamp())


def _home(client, settings) -> str:
    page = client.get("/admin/", HTTP_HOST=settings.BASE_DOMAIN)
    assert page.status_code == 200
    return page.content.decode()


def test_home_lists_practices_that_need_attention_worst_first(admin_client, practice_a,
                                                                practice_b, settings):
    now = timezone.now()
    practice_set_status(practice=practice_b, status=Practice.Status.ACTIVE)
    gauge_set(name="axc_last_success_timestamp_seconds", practice=practice_a.schema_name,
              value=(now - timedelta(minutes=2)).timestamp())
    gauge_set(name="axc_dead_letters_open", practice=practice_a.schema_name, value=3)
    gauge_set(name="axc_outbox_pending", practice=practice_a.schema_name, value=250)
    gauge_set(name="axc_last_success_timestamp_seconds", practice=practice_b.schema_name,
              value=(now - timedelta(hours=2)).timestamp())
    Incident.objects.create(practice=practice_b, kind=Incident.Kind.STALLED, opened_at=now)
    _rows_only(2)  # healthy: synced a moment ago

    html = _home(admin_client, settings)
    order = re.findall(r'class="attention-row[^"]*" data-slug="([\w-]+)"', html)
    assert order == ["bravo", "alpha"]  # stalled with an incident beats dead letters
    bravo = html[html.index('data-slug="bravo"'):html.index('data-slug="alpha"')]
    assert "No successful sync for 3 poll intervals" in bravo
    assert "Poller stalled" in bravo and "Last sync: 2 h ago" in bravo
    alpha = html[html.index('data-slug="alpha"'):]
    assert "3 dead letters to fix" in alpha and "250 CRM writes queued" in alpha
    assert "Last sync: 2 min ago" in alpha and "Dead letters: 3" in alpha
    assert "2 other practices fine." in html
    assert "Row Only" not in html.split('id="attention-fine"')[0]


def test_home_and_practice_list_cost_the_same_queries_for_many_practices(
        admin_client, practices, db, settings):
    def queries(url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(url, HTTP_HOST=settings.BASE_DOMAIN).status_code == 200
        return len(captured.captured_queries)

    _rows_only(2)
    queries("/admin/")  # the session's first page also loads what later pages have cached
    few = queries("/admin/"), queries("/admin/tenants/practice/")
    more = 12
    now = timezone.now()
    Practice.objects.bulk_create([
        Practice(name=f"More {n:02}", slug=f"more-{n}", schema_name=f"p_more_{n}",
                 status=Practice.Status.ACTIVE, status_changed_at=now - timedelta(days=1))
        for n in range(more)])
    for n in range(more):
        gauge_set(name="axc_dead_letters_open", practice=f"p_more_{n}", value=n)
        Incident.objects.create(practice=Practice.objects.get(slug=f"more-{n}"),
                                kind=Incident.Kind.STALLED, opened_at=now)
    many = queries("/admin/"), queries("/admin/tenants/practice/")
    assert many == few


def test_practice_list_shows_health_and_last_sync(admin_client, practice_a, settings):
    gauge_set(name="axc_last_success_timestamp_seconds", practice=practice_a.schema_name,
              value=(timezone.now() - timedelta(minutes=4)).timestamp())
    gauge_set(name="axc_dead_letters_open", practice=practice_a.schema_name, value=1)
    page = admin_client.get("/admin/tenants/practice/", HTTP_HOST=settings.BASE_DOMAIN)
    html = page.content.decode()
    row = html[html.index("Alpha Plastic Surgery"):]
    row = row[:row.index("</tr>")]
    assert ">1 dead letters to fix<" in row
    assert "4 min ago" in row
    assert "column-health" in html and "column-last_sync" in html


def test_practice_page_links_to_its_own_admin_and_portal(admin_client, practice_a, settings):
    settings.PORT_SUFFIX = ":8000"
    page = admin_client.get(f"/admin/tenants/practice/{practice_a.pk}/change/",
                            HTTP_HOST=settings.BASE_DOMAIN).content.decode()
    assert 'id="practice-admin-link"' in page
    assert 'href="//alpha.localhost:8000/admin/" id="practice-admin-link"' in page
    assert 'href="//alpha.localhost:8000/" id="practice-portal-link"' in page
