"""Agency staff create a practice in the admin: schema, domain and schedule appear."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_q.models import Schedule

from tenants.models import Domain, Practice
from tenants.poll_budget import nextech_calls_record
from tests.support.poll import practice_hours_set
from tests.support.staff import staff_login


@pytest.fixture
def agency_client(practices: dict, db: None) -> Client:
    admin = User.objects.create_superuser("agency", "agency@example.com", "correct horse 42")
    client = Client(HTTP_HOST="localhost")
    staff_login(client, admin)
    return client


def _practice_form(**fields: str) -> dict[str, str]:
    """The practice form as the admin renders it (defaults filled in), with `fields` typed."""
    return {
        "emr_flavor": "select",
        "practice_type": "surgical_medspa",
        "time_zone": "America/Chicago",
        "country": "US",
        "poll_interval_minutes": "5",
        "slow_poll_interval_minutes": "30",
        "opening_hours": "Mon-Sat 07:00-19:00",
        "nextech_daily_call_budget": "",
        "status": "active",
        "status_reason": "",
        "price_per_location": "99.00",
        "nextech_credential-TOTAL_FORMS": "0",
        "nextech_credential-INITIAL_FORMS": "0",
        "ghl_credential-TOTAL_FORMS": "0",
        "ghl_credential-INITIAL_FORMS": "0",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
        **fields,
    }


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split()).replace("\xa0", " ")


def _schema_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM information_schema.schemata WHERE schema_name = %s", [name])
        return cursor.fetchone() is not None


def test_creating_a_practice_in_the_admin_creates_schema_domain_and_schedule(agency_client):
    response = agency_client.post(
        "/admin/tenants/practice/add/",
        _practice_form(name="Charlie Aesthetics", slug="charlie"),
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
        _practice_form(name="Too Fast", slug="toofast", practice_type="medspa",
                       poll_interval_minutes="0", status="onboarding"),
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


def test_opening_hours_that_do_not_read_are_refused_in_the_admin(practice_a, agency_client):
    form = _practice_form(name=practice_a.name, opening_hours="weekdays 9 to 5")
    response = agency_client.post(f"/admin/tenants/practice/{practice_a.pk}/change/", form)

    assert response.status_code == 200
    assert "write it like" in response.content.decode()


def test_the_agency_admin_shows_calls_used_today_and_the_projection(practice_a,
                                                                     agency_client):
    practice_hours_set(practice_a, local_hour=12, poll_interval_minutes=1,
               nextech_daily_call_budget=1000)
    nextech_calls_record(practice=practice_a, calls=300, polls=100, at=timezone.now())

    page = _text(agency_client.get(f"/admin/tenants/practice/{practice_a.pk}/change/"
                                   ).content.decode())

    shown = re.search(r"Nextech calls today: 300 used in 100 polls; ([\d,]+) of the 1,000 "
                      r"budget projected by midnight at 3\.0 per poll\. Polling every (\d+) "
                      r"min to stay within 1,000 Nextech calls today", page)
    assert shown, page[page.find("Polling schedule"):][:600]
    projected, minutes = int(shown[1].replace(",", "")), int(shown[2])
    assert 300 < projected <= 1000
    assert minutes > 1  # seven hours of 1-minute polls would take 1,260 calls more


def test_the_agency_admin_without_a_budget_projects_the_day_unstretched(practice_a,
                                                                         agency_client):
    practice_hours_set(practice_a, local_hour=12, poll_interval_minutes=1)
    nextech_calls_record(practice=practice_a, calls=300, polls=100, at=timezone.now())

    page = _text(agency_client.get(f"/admin/tenants/practice/{practice_a.pk}/change/"
                                   ).content.decode())

    shown = re.search(r"300 used in 100 polls; ([\d,]+) projected by midnight", page)
    assert shown, page[page.find("Polling schedule"):][:600]
    assert int(shown[1].replace(",", "")) > 1000  # hours of 1-minute polls at 3 calls each
    assert "to stay within" not in page
