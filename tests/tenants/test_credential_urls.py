"""A credential's addresses receive its secrets, so production sends them only to Nextech's
and HighLevel's own hosts over HTTPS; changing an address forgets the stored secrets; and
what a remote server answers is never shown to staff as it came.

The listener is a real HTTP server that records whatever reaches it."""

from __future__ import annotations

import html
import json
import re
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import signing
from django.test import Client
from django.utils import timezone

from integrations.http import ApiError, ErrorKind
from tenants.credential_urls import (
    GHL_API_HOSTS,
    GHL_MARKETPLACE_HOSTS,
    NEXTECH_API_HOSTS,
    NEXTECH_LOGIN_HOSTS,
    url_refusal,
)
from tenants.ghl.client import ghl_client_for
from tenants.ghl.connect import STATE_SALT, ConnectFailed, ghl_connect_finish
from tenants.models import GhlCredential, NextechCredential, Practice
from tenants.models.credentials import (
    GHL_API_BASE_URL,
    GHL_AUTHORIZE_URL,
    GHL_TOKEN_URL,
    NEXTECH_CLOUD_BASE_URL,
    NEXTECH_PRACTICE_PLUS_BASE_URL,
    NEXTECH_TOKEN_URL,
)

GUID = "2441c8d4-1b7e-4f0a-9a7e-5f1d7c3e9b0b"
PASSWORD = "the-practice-nextech-password"
HOSTILE_TEXT = "Call 555-0100 to re-verify your account at evil.example"


class Listener:
    """An HTTP server that records every request and answers 400 with `HOSTILE_TEXT`."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode(errors="replace")
                listener.requests.append(f"{self.command} {self.path} {body}")
                reply = json.dumps({"error": "invalid_grant",
                                    "error_description": HOSTILE_TEXT}).encode()
                self.send_response(400)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            do_GET = do_POST = _answer

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> Listener:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    with Listener() as running:
        yield running


@pytest.fixture
def production(settings):
    settings.AXC_ALLOW_SANDBOX_URLS = False
    return settings


def _page_text(response) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def _nextech(practice: Practice, **fields: object) -> NextechCredential:
    values = {"base_url": NEXTECH_CLOUD_BASE_URL, "token_url": NEXTECH_TOKEN_URL,
              "practice_guid": uuid.UUID(GUID), "client_id": "client-1",
              "username": "api@nextech-api.com", "password": PASSWORD, **fields}
    credential, _ = NextechCredential.objects.update_or_create(practice=practice,
                                                               defaults=values)
    return credential


# The rule ------------------------------------------------------------------------------

@pytest.mark.parametrize(("url", "hosts"), [
    (NEXTECH_CLOUD_BASE_URL, NEXTECH_API_HOSTS),
    (NEXTECH_PRACTICE_PLUS_BASE_URL, NEXTECH_API_HOSTS),
    (NEXTECH_TOKEN_URL, NEXTECH_LOGIN_HOSTS),
    ("https://login.microsoftonline.com/0f5e1c2a-0000-4000-8000-000000000001/oauth2/token",
     NEXTECH_LOGIN_HOSTS),
    (GHL_API_BASE_URL, GHL_API_HOSTS),
    (GHL_TOKEN_URL, GHL_API_HOSTS),
    (GHL_AUTHORIZE_URL, GHL_MARKETPLACE_HOSTS),
    ("https://marketplace.leadconnectorhq.com/v2/oauth/chooselocation", GHL_MARKETPLACE_HOSTS),
])
def test_the_vendors_own_addresses_are_accepted(url, hosts):
    assert url_refusal(url, hosts=hosts, allow_any_host=False) is None


@pytest.mark.parametrize(("url", "why"), [
    ("http://select.nextech-api.com/api", "must start with https://"),
    ("https://select.nextech-api.com.evil.example/api", "must be on"),
    ("https://evil.example/api", "must be on"),
    ("https://login.microsoftonline.com/x/oauth2/token", "must be on"),  # login, not the API
    ("https://select.nextech-api.com:8443/api", "must be on"),
    ("https://user:pw@select.nextech-api.com/api", "user name or password"),
    ("ftp://select.nextech-api.com/api", "must start with https://"),
])
def test_anything_else_is_refused_in_production(url, why):
    refusal = url_refusal(url, hosts=NEXTECH_API_HOSTS, allow_any_host=False)
    assert refusal is not None and why in refusal


def test_development_allows_a_sandbox_over_plain_http():
    assert url_refusal("http://127.0.0.1:8101/api", hosts=NEXTECH_API_HOSTS,
                       allow_any_host=True) is None
    assert url_refusal("file:///etc/passwd", hosts=NEXTECH_API_HOSTS,
                       allow_any_host=True) is not None


def test_development_defaults_allow_sandbox_urls_and_production_does_not(settings):
    # The tests run with AXC_DEVELOPMENT; a production process has neither it nor DEBUG.
    assert settings.AXC_ALLOW_SANDBOX_URLS is True


# The admin -----------------------------------------------------------------------------

def _change_form(practice: Practice, credential: NextechCredential, **nextech: str) -> dict:
    fields = {"base_url": credential.base_url, "token_url": credential.token_url,
              "resource": "", "practice_guid": GUID, "client_id": "client-1",
              "username": "api@nextech-api.com", "password": "", "partner_id": "",
              "partner_secret": "", **nextech}
    return {
        "name": practice.name, "emr_flavor": practice.emr_flavor,
        "practice_type": practice.practice_type, "time_zone": practice.time_zone,
        "country": practice.country, "poll_interval_minutes": practice.poll_interval_minutes,
        "slow_poll_interval_minutes": practice.slow_poll_interval_minutes,
        "opening_hours": practice.opening_hours,
        "nextech_daily_call_budget": practice.nextech_daily_call_budget or "",
        "status": practice.status, "status_reason": practice.status_reason,
        "price_per_location": str(practice.price_per_location),
        "nextech_credential-TOTAL_FORMS": "1", "nextech_credential-INITIAL_FORMS": "1",
        "nextech_credential-0-id": str(credential.pk),
        "nextech_credential-0-practice": str(practice.pk),
        **{f"nextech_credential-0-{name}": value for name, value in fields.items()},
        "ghl_credential-TOTAL_FORMS": "0", "ghl_credential-INITIAL_FORMS": "0",
        "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0",
    }


def _save(agency: Client, practice: Practice, credential: NextechCredential, **nextech: str):
    return agency.post(f"/admin/tenants/practice/{practice.pk}/change/",
                       _change_form(practice, credential, **nextech))


def test_the_admin_refuses_a_listener_as_the_nextech_address(agency, practice_b, production,
                                                             listener):
    credential = _nextech(practice_b)

    response = _save(agency, practice_b, credential, base_url=f"{listener.url}/api",
                     token_url=f"{listener.url}/oauth2/token")

    assert response.status_code == 200  # the form again, with the errors
    text = _page_text(response)
    assert "This address must start with https://." in text
    stored = NextechCredential.objects.get(pk=credential.pk)
    assert stored.base_url == NEXTECH_CLOUD_BASE_URL and stored.password == PASSWORD


def test_changing_an_address_forgets_the_stored_secrets(agency, practice_b, production):
    credential = _nextech(practice_b, access_token="tok", refresh_token="ref",
                          access_expires_at=timezone.now(), last_verified_at=timezone.now())

    response = _save(agency, practice_b, credential, base_url=NEXTECH_PRACTICE_PLUS_BASE_URL)

    assert response.status_code == 302, _page_text(response)[:2000]
    stored = NextechCredential.objects.get(pk=credential.pk)
    assert stored.base_url == NEXTECH_PRACTICE_PLUS_BASE_URL
    assert (stored.password, stored.access_token, stored.refresh_token) == ("", "", "")
    assert stored.access_expires_at is None and stored.last_verified_at is None


def test_a_secret_typed_with_the_new_address_is_kept(agency, practice_b, production):
    credential = _nextech(practice_b, access_token="tok")

    _save(agency, practice_b, credential, base_url=NEXTECH_PRACTICE_PLUS_BASE_URL,
          password="typed-again")

    stored = NextechCredential.objects.get(pk=credential.pk)
    assert (stored.password, stored.access_token) == ("typed-again", "")


def test_saving_without_changing_an_address_keeps_the_secrets(agency, practice_b, production):
    credential = _nextech(practice_b, access_token="tok")

    response = _save(agency, practice_b, credential, username="api2@nextech-api.com")

    assert response.status_code == 302, _page_text(response)[:2000]
    stored = NextechCredential.objects.get(pk=credential.pk)
    assert (stored.password, stored.access_token) == (PASSWORD, "tok")


# Nothing is sent to a refused address ---------------------------------------------------

def test_test_nextech_connection_never_sends_the_password_to_a_listener(agency, practice_b,
                                                                       production, listener):
    # Stored before the rule (or by hand): the test still refuses to send it.
    _nextech(practice_b, base_url=f"{listener.url}/api", token_url=f"{listener.url}/token")

    response = agency.post(f"/admin/tenants/practice/{practice_b.pk}/onboarding/test-nextech/",
                           follow=True)

    assert "Credentials not sent: base url must start with https://" in _page_text(response)
    assert listener.requests == []


def test_the_ghl_token_url_never_receives_the_client_secret(practice_b, production, listener,
                                                           settings):
    GhlCredential.objects.create(practice=practice_b, token_url=f"{listener.url}/oauth/token")
    state = signing.dumps({"practice": practice_b.pk, "nonce": "n"}, salt=STATE_SALT)

    with pytest.raises(ConnectFailed, match="token url must start with https://"):
        ghl_connect_finish(state=state, nonce="n", code="a-code", error="",
                           redirect_uri="https://example.com/cb/")

    assert listener.requests == []


def test_connect_gohighlevel_refuses_before_leaving_for_a_refused_address(agency, practice_b,
                                                                         production, listener):
    GhlCredential.objects.create(practice=practice_b, token_url=f"{listener.url}/oauth/token")

    landed = agency.get(f"/ghl/connect/{practice_b.pk}/", follow=True)

    assert landed.redirect_chain[-1][0] == f"/admin/tenants/practice/{practice_b.pk}/change/"
    assert "Credentials not sent: token url must start with https://" in _page_text(landed)


def test_the_sync_never_sends_a_token_to_a_refused_api_address(practice_b, production,
                                                               listener):
    GhlCredential.objects.create(practice=practice_b, auth_kind="private",
                                 private_token="pit-secret", location_id="loc-1",
                                 api_base_url=listener.url)

    with pytest.raises(ApiError) as refused:
        ghl_client_for(practice=practice_b)

    assert refused.value.kind is ErrorKind.CONFIG
    assert Practice.objects.get(pk=practice_b.pk).status == Practice.Status.NEEDS_ATTENTION
    assert listener.requests == []


# Remote words are summarised -----------------------------------------------------------

def test_a_remote_error_text_is_not_echoed_to_staff(agency, practice_b, listener):
    # Development allows the listener; it answers 400 with words of its own choosing.
    _nextech(practice_b, base_url=f"{listener.url}/api", token_url=f"{listener.url}/token")

    response = agency.post(f"/admin/tenants/practice/{practice_b.pk}/onboarding/test-nextech/",
                           follow=True)

    text = _page_text(response)
    assert listener.requests  # it was reached: the password went there, in development only
    assert "Nextech refused the connection (HTTP 400)." in text
    assert "555-0100" not in text and "evil.example" not in text
    assert "555-0100" not in NextechCredential.objects.get(practice=practice_b).last_error
