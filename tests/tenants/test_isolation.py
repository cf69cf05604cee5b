"""One practice's code and users never reach another practice's data."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from integrations.models import Location
from tenants.models import Membership


def test_code_running_for_one_practice_cannot_read_anothers_rows(practice_a, practice_b):
    with schema_context(practice_b.schema_name):
        Location.objects.create(nextech_id="loc-b", name="Bravo Downtown")
    with schema_context(practice_a.schema_name):
        assert not Location.objects.filter(nextech_id="loc-b").exists()
        with connection.cursor() as cursor:
            # Even raw SQL resolves the table in A's own schema.
            cursor.execute("SELECT count(*) FROM integrations_location")
            assert cursor.fetchone()[0] == 0
    with schema_context(practice_b.schema_name):
        assert Location.objects.filter(nextech_id="loc-b").count() == 1


def _member_of(practice, username: str) -> User:
    user = User.objects.create_user(username, f"{username}@example.com", "a long password 42")
    Membership.objects.create(user=user, practice=practice, role=Membership.Role.STAFF)
    return user


def test_portal_user_of_a_cannot_open_bs_host(practice_a, practice_b):
    _member_of(practice_a, "alice")
    client = Client(HTTP_HOST="alpha.localhost")
    response = client.post("/login/", {"username": "alice", "password": "a long password 42"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200

    # The same signed-in session presented to B's host is refused.
    response = client.get("/", HTTP_HOST="bravo.localhost")
    assert response.status_code == 403


def test_portal_login_on_another_practices_host_is_refused(practice_a, practice_b):
    _member_of(practice_a, "alice2")
    client = Client(HTTP_HOST="bravo.localhost")
    response = client.post("/login/", {"username": "alice2", "password": "a long password 42"})
    assert response.status_code == 200
    assert "Please enter a correct" in response.content.decode()
    assert client.get("/").status_code == 302  # still anonymous: sent to log in


def test_anonymous_visitor_is_sent_to_log_in(practice_a):
    response = Client(HTTP_HOST="alpha.localhost").get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_practice_admin_refuses_portal_members(practice_a):
    _member_of(practice_a, "alice3")
    client = Client(HTTP_HOST="alpha.localhost")
    client.force_login(User.objects.get(username="alice3"))
    response = client.get("/admin/")
    assert response.status_code == 302  # to the admin login: members are not staff
