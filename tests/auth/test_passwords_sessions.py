"""Passwords and sessions: Django's full password rules, idle sign-out (staff sooner), a
portal login that tells nothing about other practices' accounts, reset by email."""

from __future__ import annotations

import re
import time

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client

from tenants.idle_timeout import LAST_SEEN_KEY
from tenants.models import Membership
from tests.support.staff import staff_login

PASSWORD = "a long password 42"


def _member(practice, username: str, role: str = Membership.Role.STAFF) -> User:
    user = User.objects.create_user(username, f"{username}@example.com", PASSWORD)
    Membership.objects.create(user=user, practice=practice, role=role)
    return user


def _login(host: str, username: str, password: str, ip: str = "203.0.113.7"):
    return Client(HTTP_HOST=host, REMOTE_ADDR=ip).post(
        "/login/", {"username": username, "password": password})


def _errors(response) -> str:
    """What the login page says, without the per-request CSRF token and CSP nonce."""
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
    return re.sub(r'nonce="[^"]+"', "", page)


def test_a_right_password_for_another_practices_account_looks_like_a_wrong_one(
        practice_a, practice_b):
    _member(practice_a, "alice")
    right = _login("bravo.localhost", "alice", PASSWORD)
    wrong = _login("bravo.localhost", "alice", "not her password")
    assert right.status_code == wrong.status_code == 200
    assert _errors(right) == _errors(wrong)
    assert "Please enter a correct" in right.content.decode()


def test_right_passwords_on_another_practice_count_towards_the_lockout(practice_a, practice_b):
    _member(practice_a, "alice")
    for _ in range(5):
        _login("bravo.localhost", "alice", PASSWORD)
    # As after five wrong passwords: locked, even on her own practice.
    assert _login("alpha.localhost", "alice", PASSWORD, ip="198.51.100.2").status_code == 429


def _reset_link(host: str, email: str) -> str | None:
    before = len(mail.outbox)
    response = Client(HTTP_HOST=host).post("/password-reset/", {"email": email}, follow=True)
    assert "Check your email" in response.content.decode()  # whoever the address is
    if len(mail.outbox) == before:
        return None
    message = mail.outbox[-1]
    assert message.to == [email]
    link = re.search(r"https?://\S+", message.body)
    assert link is not None, message.body
    return link.group(0)


def test_a_member_resets_their_password_by_email(practice_a):
    _member(practice_a, "alice")
    link = _reset_link("alpha.localhost", "alice@example.com")
    assert link.startswith("http://alpha.localhost/password-reset/")
    assert "Alpha Plastic Surgery" in mail.outbox[-1].subject
    client = Client(HTTP_HOST="alpha.localhost")
    form_page = client.get(link.removeprefix("http://alpha.localhost"), follow=True)
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": "violet tandem 2031",
                                 "new_password2": "violet tandem 2031"}, follow=True)
    assert "Password saved" in done.content.decode()
    assert _login("alpha.localhost", "alice", "violet tandem 2031").status_code == 302
    assert _login("alpha.localhost", "alice", PASSWORD, ip="198.51.100.9").status_code == 200
    # The link worked once.
    again = Client(HTTP_HOST="alpha.localhost").get(link.removeprefix("http://alpha.localhost"),
                                                    follow=True)
    assert "This link no longer works" in again.content.decode()


def test_no_reset_email_for_an_account_of_another_practice_or_nobody(practice_a, practice_b):
    _member(practice_b, "bob")
    assert _reset_link("alpha.localhost", "bob@example.com") is None
    assert _reset_link("alpha.localhost", "nobody@example.com") is None


def test_a_new_member_added_by_an_owner_sets_a_first_password_this_way(practice_a):
    owner = Client(HTTP_HOST="alpha.localhost")
    owner.force_login(_member(practice_a, "olivia", Membership.Role.OWNER))
    owner.post("/members/add/", {"email": "eve@example.com", "role": "staff"})
    assert _reset_link("alpha.localhost", "eve@example.com") is not None


@pytest.mark.parametrize(("password", "why"), [
    ("short pw 1", "too short"),
    ("qwerty123456", "too common"),
    ("202612031145", "entirely numeric"),
    ("alice@example.com", "too similar"),
])
def test_weak_passwords_are_refused_with_the_reason(practice_a, password, why):
    _member(practice_a, "alice")
    link = _reset_link("alpha.localhost", "alice@example.com")
    client = Client(HTTP_HOST="alpha.localhost")
    set_url = client.get(link.removeprefix("http://alpha.localhost"),
                         follow=True).redirect_chain[-1][0]
    response = client.post(set_url, {"new_password1": password, "new_password2": password})
    assert response.status_code == 200 and why in response.content.decode()
    assert User.objects.get(username="alice").check_password(PASSWORD)


def _idle(client: Client, minutes: float) -> None:
    session = client.session
    session[LAST_SEEN_KEY] = time.time() - minutes * 60
    session.save()


def test_a_portal_session_idle_for_an_hour_is_signed_out(practice_a):
    client = Client(HTTP_HOST="alpha.localhost")
    client.force_login(_member(practice_a, "alice"))
    client.get("/")
    _idle(client, 20)
    assert client.get("/").status_code == 200  # portal users have longer than staff
    _idle(client, 61)
    response = client.get("/categories/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/login/")
    assert "signed out after 60 minutes without activity" in response.content.decode()
    assert client.get("/").status_code == 302  # the session is gone, not just this page


def test_a_staff_session_idle_for_a_quarter_hour_is_signed_out(practice_a):
    staff = User.objects.create_superuser("sam", "sam@agency.example", PASSWORD)
    client = Client(HTTP_HOST="localhost")
    staff_login(client, staff)
    assert client.get("/admin/").status_code == 200
    _idle(client, 14)
    assert client.get("/admin/").status_code == 200
    _idle(client, 16)
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
