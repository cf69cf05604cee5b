"""The agency admin in a real browser (Debian's chromium, headless, Playwright), served over
HTTP with both sandboxes as `make demo` serves them:

- a second demo practice onboarded by hand from the agency home, every step a click or a
  typed credential, no URL typed;
- every agency admin page this work touched fits a 1280 px and a 375 px wide window (no
  sideways scrolling). Screenshots of each go to test-artifacts/ (gitignored).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import User
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context
from playwright.sync_api import Page

from axconnect.metrics import gauge_set
from integrations.demo import (
    DemoSandboxes,
    SandboxPractice,
    demo_practice_add,
    demo_sandboxes_start,
    demo_urls_env,
)
from integrations.models import KnownPatient, OutboxOp, PatientAccessLog, SyncLog
from integrations.sandbox_kit.transport import BackgroundServer
from integrations.tasks import practice_poll
from tenants.models import Incident, Practice
from tenants.services import practice_create, public_tenant_ensure
from tests.browser.test_ghl_connect import chromium_page
from tests.browser.test_onboarding_flow import (
    STAFF_PASSWORD,
    _login,
    _save,
    _sign_in_here,
    _submit,
    _text,
)
from tests.browser.test_onboarding_flow import off_loop as off_loop
from tests.support.onboarding import practice_drop
from tests.support.staff import Authenticator, authenticator_device

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
WIDTHS = (1280, 375)
PRACTICE_NAME = "Birch Aesthetics"


@dataclass(frozen=True)
class Demo:
    agency: str  # http://localhost:<port>
    port: str
    sandboxes: DemoSandboxes
    added: SandboxPractice
    username: str
    app: Authenticator  # the staff member's phone
    slug: str


@pytest.fixture
def demo(django_db_setup, django_db_blocker, settings) -> Iterator[Demo]:
    """What `make demo` serves, plus `demo --add-practice` run against it."""
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    sandboxes = demo_sandboxes_start()
    for name, value in demo_urls_env(nextech_url=sandboxes.nextech_server.url,
                                     ghl_url=sandboxes.ghl_server.url).items():
        setattr(settings, name, value)
    added = demo_practice_add(name=PRACTICE_NAME, nextech_url=sandboxes.nextech_server.url,
                              ghl_url=sandboxes.ghl_server.url)
    slug = f"birch-{uuid.uuid4().hex[:6]}"
    try:
        with django_db_blocker.unblock(), \
                BackgroundServer(StaticFilesHandler(WSGIHandler())) as web:
            public_tenant_ensure()
            settings.PORT_SUFFIX = f":{web.url.rsplit(':', 1)[1]}"  # as the demo sets it
            user = User.objects.create_superuser(f"agency-{uuid.uuid4().hex[:8]}",
                                                 "agency@example.com", STAFF_PASSWORD)
            try:
                yield Demo(agency=web.url.replace("127.0.0.1", "localhost"),
                           port=web.url.rsplit(":", 1)[1], sandboxes=sandboxes, added=added,
                           username=user.username,
                           app=Authenticator(authenticator_device(user)), slug=slug)
            finally:
                practice_drop(slug=slug)
                user.delete()
    finally:
        sandboxes.stop()


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_a_second_demo_practice_is_onboarded_by_hand_without_typing_a_url(demo):
    added = demo.added
    with chromium_page() as page:
        _login(page, demo.agency, demo)  # the agency home, as `make demo` prints
        page.click("#practice-add")
        page.fill("#id_name", PRACTICE_NAME)
        page.fill("#id_slug", demo.slug)
        page.select_option("#id_practice_type", label="Med spa only")
        assert "was added successfully" in _save(page)

        page.click("text=Add another Nextech credentials")
        nextech = "#id_nextech_credential-0-"
        assert page.input_value(nextech + "base_url") == f"{demo.sandboxes.nextech_server.url}/api"
        page.fill(nextech + "practice_guid", added.practice_guid)
        page.fill(nextech + "client_id", added.client_id)
        page.fill(nextech + "resource", added.resource)
        page.fill(nextech + "username", added.username)
        page.fill(nextech + "password", added.password)
        _save(page)
        _submit(page, "button:text-is('Test Nextech connection')")
        assert _text(page, ".messagelist .success") == (
            "Nextech connection works: signed in and read the practice.")

        page.click("#ghl-connect")  # no GoHighLevel row yet: the sandbox's chooser anyway
        page.wait_for_selector("#location_id")
        assert page.url.startswith(demo.sandboxes.ghl_server.url)
        page.select_option("#location_id", label=PRACTICE_NAME)
        page.click("#continue")
        page.wait_for_selector("#ghl-status")
        assert _text(page, ".messagelist .success") == (
            f"GoHighLevel connected: {PRACTICE_NAME} (location {added.ghl_location_id}).")
        assert f"{PRACTICE_NAME} (location {added.ghl_location_id})" in _text(page, "#ghl-status")

        _submit(page, "button:text-is('Run set-up')")
        assert _text(page, ".messagelist").startswith("Set-up done:"), _text(page, ".messagelist")
        assert "3 of 3 mapped" in _text(page, "#onboarding-stages")  # a med spa's three
        assert "left" in (page.get_attribute("#onboarding-payments", "class") or "")
        page.check("input[name=payments][value=on]")
        _save(page)
        assert "Payments sync is on." in _text(page, "#onboarding-payments")

        # The practice's client confirms its categories in the portal later; the agency
        # goes live now, and says so.
        _submit(page, "button[name=anyway]")
        activated = _text(page, ".messagelist")
        _shot(page, "onboard-second-practice-activated")
        assert activated.startswith("Activated: the first poll backfills"), activated
        warning = _text(page, "#onboarding-warning")  # categories still to confirm
        assert warning.startswith("This practice is polled (active) but its onboarding"), \
            warning

        schema = f"p_{demo.slug.replace('-', '_')}"
        tick = off_loop(lambda: practice_poll(schema))
        assert (tick["errors"], tick["dead_letters"]) == (0, 0), tick

        # On to the practice's own admin by its link, and its CRM writes.
        page.click("#practice-admin-link")
        _sign_in_here(page, demo)
        page.click("a:text-is('CRM writes')")
        writes = _text(page, "#result_list")
        _shot(page, "onboard-second-practice-crm-writes")
    location = demo.sandboxes.ghl.state.locations[added.ghl_location_id]
    patients = {f"{p.given} {p.family}" for p in
                demo.sandboxes.nextech.state.practice(added.practice_guid).patients.values()}
    # A note per event, but for payments voided before they were noted (none is due).
    assert location.contacts and location.notes and tick["events_processed"] > 0
    assert any(name in writes for name in patients), writes
    assert "Create or update the contact" in writes


# Layout -------------------------------------------------------------------------------

@pytest.fixture
def crowded(django_db_setup, django_db_blocker, settings
            ) -> Iterator[tuple[str, SimpleNamespace, Practice]]:
    """A practice with everything the touched pages show: problems on the home, a
    checklist, CRM writes with names, audit logs; served over HTTP."""
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    slug = f"layout-{uuid.uuid4().hex[:6]}"
    with django_db_blocker.unblock(), \
            BackgroundServer(StaticFilesHandler(WSGIHandler())) as web:
        public_tenant_ensure()
        user = User.objects.create_superuser(f"agency-{uuid.uuid4().hex[:8]}",
                                             "agency@example.com", STAFF_PASSWORD)
        practice = practice_create(practice=Practice(
            name="Willowbrook Plastic Surgery, Dermatology & Laser Aesthetics Center",
            slug=slug, status=Practice.Status.NEEDS_ATTENTION,
            status_reason="Nextech credentials failed: the password of the API user expired "
                          "and must be reset by the practice"))
        now = timezone.now()
        gauge_set(name="axc_dead_letters_open", practice=practice.schema_name, value=12)
        gauge_set(name="axc_outbox_pending", practice=practice.schema_name, value=340)
        gauge_set(name="axc_last_success_timestamp_seconds", practice=practice.schema_name,
                  value=(now - timedelta(hours=5)).timestamp())
        for kind in (Incident.Kind.NEEDS_ATTENTION, Incident.Kind.STALLED,
                     Incident.Kind.DEAD_LETTERS):
            Incident.objects.create(practice=practice, kind=kind, opened_at=now,
                                    detail="A long explanation of what went wrong " * 3)
        with schema_context(practice.schema_name):
            KnownPatient.objects.create(nextech_id="4711", given="Alexandria",
                                        family="Montgomery-Whitfield")
            OutboxOp.objects.create(key="k1", patient_id="4711", kind="opportunity_upsert",
                                    payload={}, state=OutboxOp.State.DEAD,
                                    last_error="no GoHighLevel stage is mapped for Consult "
                                               "Booked in the Surgical pipeline")
            SyncLog.objects.create(kind="event", message="Appointment 991: Pending -> Booked "
                                   "(Surgical Consult, Buckhead)", patient_ref="4711")
            PatientAccessLog.objects.create(user_id=user.pk, username=user.username,
                                            patient_ref="4711", view="activity")
        connection.set_schema_to_public()
        try:
            staff = SimpleNamespace(username=user.username,
                                    app=Authenticator(authenticator_device(user)))
            yield web.url.replace("127.0.0.1", "localhost"), staff, practice
        finally:
            practice_drop(slug=slug)
            user.delete()


def test_touched_admin_pages_fit_a_phone_and_a_laptop(crowded):
    agency, staff, practice = crowded
    port = agency.rsplit(":", 1)[1]
    practice_host = f"http://{practice.slug}.localhost:{port}"
    pages = {
        "agency-home": f"{agency}/admin/",
        "practice-list": f"{agency}/admin/tenants/practice/",
        "practice-page": f"{agency}/admin/tenants/practice/{practice.pk}/change/",
        "practice-add": f"{agency}/admin/tenants/practice/add/",
        "practice-health": f"{agency}/admin/tenants/practicehealth/",
        "incidents": f"{agency}/admin/tenants/incident/",
        "memberships": f"{agency}/admin/tenants/membership/",
        "practice-admin-home": f"{practice_host}/admin/",
        "crm-writes": f"{practice_host}/admin/integrations/outboxop/",
        "nextech-changes": f"{practice_host}/admin/integrations/inboxitem/",
        "sync-log": f"{practice_host}/admin/integrations/synclog/",
        "access-log": f"{practice_host}/admin/integrations/patientaccesslog/",
        "nxt-create": f"{practice_host}/admin/integrations/nxtcreaterequest/",
    }
    too_wide = {}
    with chromium_page() as page:
        _login(page, agency, staff)
        _login(page, practice_host, staff)
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            for name, url in pages.items():
                page.goto(url)
                assert page.locator("#content").count(), (name, _text(page, "body")[:300])
                scroll = page.evaluate("document.documentElement.scrollWidth")
                _shot(page, f"{name}-{width}")
                if scroll > width:
                    too_wide[f"{name}@{width}"] = scroll
    assert too_wide == {}
