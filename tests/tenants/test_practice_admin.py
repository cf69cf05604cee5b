"""Agency staff create a practice in the admin: schema, domain and schedule appear."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django_q.models import Schedule

from tenants.models import Domain, Practice
from tests.support.staff import staff_login


@pytest.fixture
def agency_client(practices: dict, db: None) -> Client:
    admin = User.objects.create_superuser("agency", "agency@example.com", "correct horse 42")
    client = Client(HTTP_HOST="localhost")
    staff_login(client, admin)
    return client


def _schema_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM information_schema.schemata WHERE schema_name = %s", [name])
        return cursor.fetchone() is not None


def test_creating_a_practice_in_the_admin_creates_schema_domain_and_schedule(agency_client):
    response = agency_client.post(
        "/admin/tenants/practice/add/",
        {
            "name": "Charlie Aesthetics",
            "slug": "charlie",
            "emr_flavor": "select",
            "practice_type": "surgical_medspa",
            "time_zone": "America/Chicago",
            "country": "US",
            "poll_interval_minutes": "5",
            "status": "active",
            "status_reason": "",
            "price_per_location": "99.00",
            "nextech_credential-TOTAL_FORMS": "0",
            "nextech_credential-INITIAL_FORMS": "0",
            "ghl_credential-TOTAL_FORMS": "0",
            "ghl_credential-INITIAL_FORMS": "0",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]

    practice = Practice.objects.get(slug="charlie")
    assert practice.schema_name == "p_charlie"
    assert _schema_exists("p_charlie")
    assert Domain.objects.get(tenant=practice).domain == "charlie.localhost"
    schedule = Schedule.objects.get(name="poll:p_charlie")
    assert schedule.func == "integrations.tasks.practice_poll_start"
    assert schedule.minutes == 5
    assert schedule.repeats == -1


def test_poll_interval_below_one_minute_is_refused(agency_client):
    response = agency_client.post(
        "/admin/tenants/practice/add/",
        {
            "name": "Too Fast",
            "slug": "toofast",
            "emr_flavor": "select",
            "practice_type": "medspa",
            "time_zone": "America/Chicago",
            "country": "US",
            "poll_interval_minutes": "0",
            "status": "onboarding",
            "price_per_location": "99.00",
            "nextech_credential-TOTAL_FORMS": "0",
            "nextech_credential-INITIAL_FORMS": "0",
            "ghl_credential-TOTAL_FORMS": "0",
            "ghl_credential-INITIAL_FORMS": "0",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "greater than or equal to 1" in response.content.decode()
    assert not Practice.objects.filter(slug="toofast").exists()


def test_pausing_a_practice_stops_its_schedule_and_resuming_restores_it(practice_a):
    from tenants.services import practice_set_status

    practice_set_status(practice=practice_a, status=Practice.Status.PAUSED, reason="Client request")
    assert Schedule.objects.get(name="poll:p_alpha").repeats == 0
    practice_set_status(practice=practice_a, status=Practice.Status.ACTIVE)
    assert Schedule.objects.get(name="poll:p_alpha").repeats == -1


def test_deleting_a_practice_in_the_admin_removes_its_schedule(agency_client):
    from tenants.services import practice_create

    practice = practice_create(practice=Practice(name="Delta Clinic", slug="delta",
                                                 status=Practice.Status.ACTIVE))
    assert Schedule.objects.filter(name="poll:p_delta").exists()

    response = agency_client.post(f"/admin/tenants/practice/{practice.pk}/delete/",
                                  {"post": "yes"})

    assert response.status_code == 302, response.content.decode()[:2000]
    assert not Practice.objects.filter(slug="delta").exists()
    # No schedule left polling a practice that is gone.
    assert not Schedule.objects.filter(name="poll:p_delta").exists()
