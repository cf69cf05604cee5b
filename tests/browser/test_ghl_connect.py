"""'Connect GoHighLevel' in a real browser (Debian's chromium, headless, driven by
Playwright): the agency admin and the GoHighLevel sandbox both served over HTTP."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.handlers.wsgi import WSGIHandler
from playwright.sync_api import Page, sync_playwright

from integrations.ghl.sandbox.signing import SigningKeys
from integrations.sandbox_kit.transport import BackgroundServer
from tenants.ghl.client import ghl_client_for
from tenants.services import public_tenant_ensure
from tests.support.staff import Authenticator
from tests.tenants.ghl_fixtures import (
    committed_practice,
    credential_point,
    sandbox_location,
    sandbox_make,
)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PASSWORD = "correct horse battery 42"
# Where the screenshot goes (for a person to look at); a temporary folder by default.
SCREENSHOT_DIR = os.environ.get("AXC_SCREENSHOT_DIR")


@contextmanager
def chromium_page(width: int = 1280, height: int = 900) -> Iterator[Page]:
    """A page in headless chromium. Playwright runs an event loop in this thread while it
    is open, and Django refuses ORM calls there: query the database after it closes."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=CHROMIUM_ARGS)
        try:
            yield browser.new_page(viewport={"width": width, "height": height})
        finally:
            browser.close()


@pytest.fixture
def served(django_db_setup, django_db_blocker, settings) -> Iterator[dict]:
    """Django and the sandbox over HTTP, with committed rows: the server threads use
    their own database connections, so nothing can hide in a test transaction."""
    # Plain HTTP on localhost: cookies must not be marked Secure.
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    sandbox = sandbox_make(keys=SigningKeys.generate())
    sandbox_location(sandbox, name="Some Other Clinic")
    location_id = sandbox_location(sandbox, name="Bravo Med Spa")
    with (django_db_blocker.unblock(), BackgroundServer(sandbox) as ghl,
          BackgroundServer(StaticFilesHandler(WSGIHandler())) as web,
          committed_practice("Bravo Med Spa") as practice):
        public_tenant_ensure()  # the agency host `localhost` must map to the public schema
        user = User.objects.create_superuser(f"browser-{uuid.uuid4().hex[:8]}",
                                             "agency@example.com", PASSWORD)
        credential_point(practice=practice, base=ghl.url)
        try:
            yield {"origin": web.url.replace("127.0.0.1", "localhost"), "practice": practice,
                   "user": user, "sandbox": sandbox, "location_id": location_id}
        finally:
            user.delete()


def test_connect_gohighlevel_from_the_practice_page(served, tmp_path):
    origin, practice, location_id = served["origin"], served["practice"], served["location_id"]
    username = served["user"].username
    shots = Path(SCREENSHOT_DIR) if SCREENSHOT_DIR else tmp_path

    with chromium_page() as page:
        page.goto(f"{origin}/admin/")
        page.fill("#id_username", username)
        page.fill("#id_password", PASSWORD)
        page.click("input[type=submit]")
        # First sign-in: set up the authenticator app from the secret the page shows.
        page.wait_for_selector("#totp-secret")
        assert page.locator("#qr svg").count() == 1
        page.screenshot(path=str(shots / "staff-two-factor-setup.png"), full_page=True)
        app = Authenticator.from_secret(page.text_content("#totp-secret") or "")
        page.fill("#id_code", app.code())
        page.click("#setup button[type=submit]")
        page.wait_for_selector("#recovery-codes")
        recovery_codes = page.locator("#recovery-codes li").count()
        page.screenshot(path=str(shots / "staff-recovery-codes.png"), full_page=True)
        page.click("#continue")
        page.wait_for_selector("#user-tools")
        page.goto(f"{origin}/admin/tenants/practice/{practice.pk}/change/")
        before = page.text_content("#ghl-status")

        page.click("text=Connect GoHighLevel")
        page.wait_for_selector("#location_id")  # the sandbox's chooselocation page
        chooser = page.text_content("h1")
        page.select_option("#location_id", label="Bravo Med Spa")
        page.click("#continue")
        page.wait_for_url(f"{origin}/admin/tenants/practice/{practice.pk}/change/")

        status = page.text_content("#ghl-status")
        message = page.text_content(".messagelist .success")
        button = page.text_content("#ghl-connect")
        page.screenshot(path=str(shots / "ghl-connected.png"), full_page=True)

    assert recovery_codes == 10
    assert "Not connected" in (before or "") and chooser == "Choose a sub-account"
    assert "Connected" in (status or "") and location_id in (status or "")
    assert message == f"GoHighLevel connected: Bravo Med Spa (location {location_id})."
    assert button == "Reconnect GoHighLevel"
    client = ghl_client_for(practice=practice)  # the stored token, over real HTTP
    assert {p.name for p in client.pipelines_list()}
    assert served["sandbox"].state.counters["GET /opportunities/pipelines"] == 1
