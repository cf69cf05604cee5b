"""'Connect GoHighLevel' in the agency admin, through the views: the button, the
chooselocation round trip (sandbox over HTTP) and every way the callback can fail."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from django.contrib.auth.models import User
from django.test import Client

from integrations.ghl.sandbox.signing import SigningKeys
from integrations.sandbox_kit.transport import BackgroundServer
from tenants.models import GhlCredential
from tests.support.staff import staff_login
from tests.tenants.ghl_fixtures import (
    authorize_follow,
    credential_point,
    sandbox_location,
    sandbox_make,
)


@pytest.fixture(scope="module")
def sandbox_server():
    sandbox = sandbox_make(keys=SigningKeys.generate())
    with BackgroundServer(sandbox) as server:
        yield sandbox, server.url


@pytest.fixture
def staff(practices, db) -> Client:
    admin = User.objects.create_superuser("connector", "c@example.com", "correct horse 42")
    client = Client(HTTP_HOST="localhost")
    staff_login(client, admin)
    return client


@pytest.fixture
def location_id(sandbox_server) -> str:
    return sandbox_location(sandbox_server[0], name="Alpha Plastic Surgery")


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def _start(staff: Client, practice_id: int) -> str:
    started = staff.get(f"/ghl/connect/{practice_id}/")
    assert started.status_code == 302
    return started["Location"]


def test_connect_round_trip_stores_tokens_and_shows_connected(staff, practice_a,
                                                              sandbox_server, location_id):
    sandbox, base = sandbox_server
    credential_point(practice=practice_a, base=base)
    page = staff.get(f"/admin/tenants/practice/{practice_a.pk}/change/").content.decode()
    assert "Connect GoHighLevel" in page and "Not connected" in page

    authorize = _start(staff, practice_a.pk)
    query = parse_qs(urlsplit(authorize).query)
    assert authorize.startswith(f"{base}/v2/oauth/chooselocation?")
    assert query["redirect_uri"] == ["http://localhost/ghl/connect/callback/"]
    callback = authorize_follow(url=authorize, session=requests.Session(), location_id=location_id)
    landed = staff.get(f"/ghl/connect/callback/?{urlencode(callback)}", follow=True)

    assert landed.redirect_chain[-1][0] == f"/admin/tenants/practice/{practice_a.pk}/change/"
    assert _messages(landed) == [f"GoHighLevel connected (location {location_id})."]
    assert "GoHighLevel: <strong>Connected</strong>" in landed.content.decode()
    credential = GhlCredential.objects.get(practice=practice_a)
    assert credential.location_id == location_id and credential.connected_at is not None
    assert sandbox.state.token_valid(credential.access_token, kind="access")


def test_tampered_state_is_refused(staff, practice_a, sandbox_server, location_id):
    credential_point(practice=practice_a, base=sandbox_server[1])
    authorize = _start(staff, practice_a.pk)
    callback = authorize_follow(url=authorize, session=requests.Session(), location_id=location_id)

    landed = staff.get("/ghl/connect/callback/?" + urlencode(
        {**callback, "state": callback["state"][:-2] + "xx"}), follow=True)

    assert _messages(landed) == ["The GoHighLevel callback was not one we started."]
    assert not GhlCredential.objects.get(practice=practice_a).access_token


def test_state_from_another_browser_session_is_refused(staff, practice_a, sandbox_server,
                                                       location_id):
    credential_point(practice=practice_a, base=sandbox_server[1])
    authorize = _start(staff, practice_a.pk)
    callback = authorize_follow(url=authorize, session=requests.Session(), location_id=location_id)
    _start(staff, practice_a.pk)  # a second click replaces the session's nonce

    landed = staff.get(f"/ghl/connect/callback/?{urlencode(callback)}", follow=True)

    assert "belongs to another sign-in" in _messages(landed)[0]


def test_denied_consent_changes_nothing(staff, practice_a, sandbox_server):
    credential_point(practice=practice_a, base=sandbox_server[1])
    state = parse_qs(urlsplit(_start(staff, practice_a.pk)).query)["state"][0]

    landed = staff.get("/ghl/connect/callback/?" + urlencode(
        {"error": "access_denied", "state": state}), follow=True)

    assert landed.redirect_chain[-1][0] == f"/admin/tenants/practice/{practice_a.pk}/change/"
    assert _messages(landed) == ["GoHighLevel access was not granted; nothing was changed."]


def test_refused_code_exchange_is_explained(staff, practice_a, sandbox_server):
    credential_point(practice=practice_a, base=sandbox_server[1])
    state = parse_qs(urlsplit(_start(staff, practice_a.pk)).query)["state"][0]

    landed = staff.get("/ghl/connect/callback/?" + urlencode(
        {"code": "not-a-code", "state": state}), follow=True)

    assert _messages(landed) == [
        "GoHighLevel refused the connection: Invalid grant: authorization code is invalid"]
    assert GhlCredential.objects.get(practice=practice_a).connected_at is None


def test_a_location_connected_to_another_practice_is_refused(staff, practice_a, practice_b,
                                                              sandbox_server, location_id):
    credential_point(practice=practice_b, base=sandbox_server[1], location_id=location_id)
    credential_point(practice=practice_a, base=sandbox_server[1])
    authorize = _start(staff, practice_a.pk)
    callback = authorize_follow(url=authorize, session=requests.Session(), location_id=location_id)

    landed = staff.get(f"/ghl/connect/callback/?{urlencode(callback)}", follow=True)

    assert _messages(landed) == [
        f"Sub-account {location_id} is already connected to another practice."]


def test_connect_needs_a_signed_in_staff_member(practice_a):
    anonymous = Client(HTTP_HOST="localhost")

    answer = anonymous.get(f"/ghl/connect/{practice_a.pk}/")

    assert answer.status_code == 302 and answer["Location"].startswith("/admin/login/")
