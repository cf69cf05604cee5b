"""Five wrong passwords lock the account and the address, on the portal's login and on
the agency admin's."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tenants.models import Membership

PASSWORD = "a long password 42"
LOGINS = {
    "portal": ("alpha.localhost", "/login/", "/"),
    "agency admin": ("localhost", "/admin/login/?next=/admin/", "/admin/"),
}


@pytest.fixture
def accounts(practice_a):
    """Two accounts that could sign in on either login page."""
    made = {}
    for name in ("sam", "tess"):
        user = User.objects.create_user(name, f"{name}@example.com", PASSWORD, is_staff=True,
                                        is_superuser=True)
        Membership.objects.create(user=user, practice=practice_a)
        made[name] = user
    return made


def _attempt(where: str, username: str, password: str, ip: str):
    host, path, _ = LOGINS[where]
    return Client(HTTP_HOST=host, REMOTE_ADDR=ip).post(
        path, {"username": username, "password": password})


def _signed_in(response) -> bool:
    return response.status_code == 302


@pytest.mark.parametrize("where", LOGINS)
def test_the_sixth_attempt_after_five_wrong_passwords_is_refused(accounts, where):
    for _ in range(4):
        response = _attempt(where, "sam", "wrong password", "203.0.113.7")
        assert response.status_code == 200  # the form again, with its error
    response = _attempt(where, "sam", "wrong password", "203.0.113.7")  # the fifth
    assert not _signed_in(response)

    sixth = _attempt(where, "sam", "wrong password", "203.0.113.7")
    assert sixth.status_code == 429
    assert "Too many failed sign-ins" in sixth.content.decode()
    # Locked: the right password no longer signs sam in, from here or anywhere ...
    assert _attempt(where, "sam", PASSWORD, "203.0.113.7").status_code == 429
    assert _attempt(where, "sam", PASSWORD, "198.51.100.2").status_code == 429
    # ... and this address signs nobody in.
    assert _attempt(where, "tess", PASSWORD, "203.0.113.7").status_code == 429
    # Someone else, elsewhere, is not affected.
    assert _signed_in(_attempt(where, "tess", PASSWORD, "198.51.100.2"))


def test_four_wrong_passwords_then_the_right_one_signs_in_and_clears_the_count(accounts):
    for _ in range(4):
        _attempt("portal", "sam", "wrong password", "203.0.113.7")
    assert _signed_in(_attempt("portal", "sam", PASSWORD, "203.0.113.7"))
    for _ in range(4):
        _attempt("portal", "sam", "wrong password", "203.0.113.7")
    assert _signed_in(_attempt("portal", "sam", PASSWORD, "203.0.113.7"))


def test_the_count_is_shared_by_both_logins(accounts):
    for _ in range(3):
        _attempt("portal", "sam", "wrong password", "203.0.113.7")
    for _ in range(2):
        _attempt("agency admin", "sam", "wrong password", "198.51.100.2")
    assert _attempt("agency admin", "sam", PASSWORD, "192.0.2.9").status_code == 429


def test_behind_a_proxy_the_forwarded_address_is_counted(accounts, settings):
    settings.TRUSTED_PROXIES = 1
    for _ in range(5):
        Client(HTTP_HOST="alpha.localhost", REMOTE_ADDR="10.0.0.1",
               HTTP_X_FORWARDED_FOR="203.0.113.7").post(
            "/login/", {"username": "nobody", "password": "x"})
    # Another client through the same proxy is not locked out by the first.
    response = Client(HTTP_HOST="alpha.localhost", REMOTE_ADDR="10.0.0.1",
                      HTTP_X_FORWARDED_FOR="198.51.100.2").post(
        "/login/", {"username": "tess", "password": PASSWORD})
    assert _signed_in(response)
    # A forged left-most entry does not escape the lock on the real address.
    response = Client(HTTP_HOST="alpha.localhost", REMOTE_ADDR="10.0.0.1",
                      HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7").post(
        "/login/", {"username": "tess", "password": PASSWORD})
    assert response.status_code == 429
