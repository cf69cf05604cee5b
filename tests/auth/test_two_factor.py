"""The second factor: agency staff cannot reach an admin page (or a portal) without it;
portal users may turn it on; recovery codes sign in once each."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from tenants.admin import agency_admin_site
from tenants.models import Membership
from tests.support.staff import Authenticator, authenticator_device

PASSWORD = "a long password 42"
AGENCY = "localhost"


def _agency_admin_pages() -> list[str]:
    """The index and every registered model's list and add page, from the site itself."""
    pages = [reverse("agency_admin:index", urlconf="axconnect.urls_public")]
    for model in agency_admin_site._registry:
        meta = model._meta
        for view in ("changelist", "add"):
            pages.append(reverse(f"agency_admin:{meta.app_label}_{meta.model_name}_{view}",
                                 urlconf="axconnect.urls_public"))
    return pages


@pytest.fixture
def sam(practices, db) -> User:
    from tenants.services import public_tenant_ensure

    public_tenant_ensure()
    return User.objects.create_superuser("sam", "sam@agency.example", PASSWORD)


def _password_step(host: str, path: str, username: str = "sam") -> tuple[Client, str]:
    client = Client(HTTP_HOST=host)
    response = client.post(path, {"username": username, "password": PASSWORD}, follow=True)
    return client, response.redirect_chain[-1][0] if response.redirect_chain else ""


def _text(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def test_a_staff_login_without_its_second_factor_reaches_no_admin_page(sam):
    authenticator_device(sam)
    client, landed = _password_step(AGENCY, "/admin/login/?next=/admin/")
    assert landed.startswith("/account/verify/")
    for path in _agency_admin_pages():
        response = client.get(path, follow=True)
        assert response.redirect_chain, path
        assert response.redirect_chain[-1][0].startswith("/account/verify/"), path
        assert "Enter your code" in _text(response), path


def test_a_wrong_code_is_refused_and_the_next_try_must_wait(sam):
    app = Authenticator(authenticator_device(sam))
    client, _ = _password_step(AGENCY, "/admin/login/?next=/admin/")
    wrong = client.post("/account/verify/?next=/admin/", {"code": "000000"})
    assert wrong.status_code == 400 and "not right" in _text(wrong)
    assert client.get("/admin/").status_code == 302
    # Guessing is throttled: straight after a wrong code even the right one is refused.
    assert client.post("/account/verify/?next=/admin/", {"code": app.code()}).status_code == 400
    assert client.get("/admin/").status_code == 302


def test_staff_sign_in_with_the_code_from_their_app(sam):
    app = Authenticator(authenticator_device(sam))
    client, _ = _password_step(AGENCY, "/admin/login/?next=/admin/")
    response = client.post("/account/verify/?next=/admin/", {"code": app.code()})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    # The same code does not open a second session.
    other, _ = _password_step(AGENCY, "/admin/login/?next=/admin/")
    used = app._used
    other.post("/account/verify/?next=/admin/", {"code": _code_for(sam, used)})
    assert other.get("/admin/").status_code == 302


def _code_for(user: User, step: int) -> str:
    from django_otp.oath import TOTP

    device = TOTPDevice.objects.get(user=user, confirmed=True)
    totp = TOTP(device.bin_key)
    totp.time = step * 30
    return f"{totp.token():06d}"


def test_staff_without_a_device_set_one_up_at_first_sign_in(sam):
    client, landed = _password_step(AGENCY, "/admin/login/?next=/admin/")
    assert landed.startswith("/account/two-factor/")
    page = client.get(landed)
    html = page.content.decode()
    assert "<svg" in html and "otpauth" not in html  # the QR code drawn inline, no link out
    assert not re.search(r"(src|href)=\"https?://", html)  # nothing loaded from elsewhere
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', html).group(1)
    assert client.get("/admin/").status_code == 302  # still not in

    app = Authenticator.from_secret(secret)
    done = client.post(landed, {"code": app.code()})
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", done.content.decode())
    assert len(codes) == 10
    assert client.get("/admin/").status_code == 200
    assert TOTPDevice.objects.get(user=sam).confirmed


def test_a_password_alone_cannot_replace_an_enrolled_device(sam):
    authenticator_device(sam)
    client, _ = _password_step(AGENCY, "/admin/login/?next=/admin/")
    response = client.get("/account/two-factor/")
    assert response.status_code == 302 and response["Location"].startswith("/account/verify/")
    assert client.post("/account/two-factor/", {"action": "recovery"}).status_code == 302


def test_a_recovery_code_signs_in_once(sam):
    from tenants.two_factor import recovery_codes_replace

    authenticator_device(sam)
    code = recovery_codes_replace(user=sam)[0]
    client, _ = _password_step(AGENCY, "/admin/login/?next=/admin/")
    client.post("/account/verify/", {"code": code, "next": "/admin/"})
    assert client.get("/admin/").status_code == 200
    again, _ = _password_step(AGENCY, "/admin/login/?next=/admin/")
    assert again.post("/account/verify/", {"code": code}).status_code == 400
    assert again.get("/admin/").status_code == 302


def test_staff_on_a_portal_give_their_second_factor_too(sam, practice_a):
    app = Authenticator(authenticator_device(sam))
    Membership.objects.create(user=sam, practice=practice_a)
    client, landed = _password_step("alpha.localhost", "/login/")
    assert landed.startswith("/account/verify/")
    assert client.get("/categories/")["Location"].startswith("/account/verify/")
    client.post(landed, {"code": app.code()})
    assert client.get("/categories/").status_code == 200


def test_the_second_factor_is_optional_for_portal_users_and_asked_once_on(practice_a):
    user = User.objects.create_user("alice", "alice@example.com", PASSWORD)
    Membership.objects.create(user=user, practice=practice_a)
    client, landed = _password_step("alpha.localhost", "/login/", "alice")
    assert landed == "/"  # no second step
    setup = client.get("/account/two-factor/?next=/")
    assert "Optional" in _text(setup)
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', setup.content.decode()).group(1)
    app = Authenticator.from_secret(secret)
    client.post("/account/two-factor/?next=/", {"code": app.code()})
    assert client.get("/").status_code == 200

    again, landed = _password_step("alpha.localhost", "/login/", "alice")
    assert landed.startswith("/account/verify/")
    assert again.get("/")["Location"].startswith("/account/verify/")
    again.post(landed, {"code": app.code()})
    assert again.get("/").status_code == 200


def test_an_agency_admin_resets_a_lost_device_without_seeing_its_secret(sam):
    from tests.support.staff import staff_login

    tess = User.objects.create_user("tess", "tess@agency.example", PASSWORD, is_staff=True)
    device = authenticator_device(tess)
    admin = Client(HTTP_HOST=AGENCY)
    staff_login(admin, sam)
    listing = admin.get("/admin/otp_totp/totpdevice/").content.decode()
    assert "tess" in listing and device.key not in listing
    admin.post(f"/admin/otp_totp/totpdevice/{device.pk}/delete/", {"post": "yes"})
    _, landed = _password_step(AGENCY, "/admin/login/?next=/admin/", "tess")
    assert landed.startswith("/account/two-factor/")  # a new one, at the next sign-in


def test_a_portal_user_turns_the_second_factor_off_but_staff_cannot(sam, practice_a):
    from tests.support.staff import staff_login

    user = User.objects.create_user("alice", "alice@example.com", PASSWORD)
    Membership.objects.create(user=user, practice=practice_a)
    authenticator_device(user)
    client = Client(HTTP_HOST="alpha.localhost")
    staff_login(client, user)  # signed in past her (optional) second factor
    page = client.get("/account/two-factor/?next=/").content.decode()
    assert 'id="two-factor-off"' in page
    client.post("/account/two-factor/", {"action": "off", "next": "/"})
    _, landed = _password_step("alpha.localhost", "/login/", "alice")
    assert landed == "/"  # a password alone again

    admin = Client(HTTP_HOST=AGENCY)
    staff_login(admin, sam)
    assert 'id="two-factor-off"' not in admin.get("/account/two-factor/").content.decode()
    admin.post("/account/two-factor/", {"action": "off"})
    assert TOTPDevice.objects.filter(user=sam, confirmed=True).exists()
