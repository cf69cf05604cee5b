"""Agency staff onboard a new practice in one sitting, in a real browser (Debian's chromium,
headless, driven by Playwright): the agency admin, the practice admin and both sandboxes are
served over HTTP, on committed rows that are dropped afterwards."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import openpyxl
import pytest
from django.contrib.auth.models import User
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection, connections
from django_q.models import Schedule
from django_tenants.utils import schema_context
from playwright.sync_api import Page

from integrations.ghl.sandbox import GhlSandbox, location_create
from integrations.ghl.sandbox import make_app as ghl_make_app
from integrations.models import CategoryMapping
from integrations.nextech.sandbox import PracticeConfig
from integrations.nextech.sandbox import make_app as nextech_make_app
from integrations.nextech.sandbox.seed import seed_demo_week
from integrations.nextech.sandbox.state import PracticeState
from integrations.sandbox_kit.transport import BackgroundServer
from integrations.tasks import practice_poll
from tenants.services import public_tenant_ensure
from tests.browser.test_ghl_connect import chromium_page
from tests.support.onboarding import practice_drop
from tests.support.staff import Authenticator, authenticator_device, staff_login

T = TypeVar("T")
STAFF_PASSWORD = "correct horse battery 42"
GUID = "7b2d4c1e-5a6f-4e8d-9c0b-1a2b3c4d5e6f"
CLIENT_ID = "cedar-application-id"
API_USER = "cedar.integration@nextech-api.com"
API_PASSWORD = "Cedar-Nextech-Password-1!"
RESOURCE = "https://select.nextech-api.com/api"
PRACTICE_NAME = "Cedar Plastic Surgery & MedSpa"
ROUTING_TAG = "medspa-alpharetta"
SCREENSHOT_DIR = os.environ.get("AXC_SCREENSHOT_DIR")


@dataclass(frozen=True)
class Rig:
    agency: str  # the agency host, http://localhost:<port>
    port: str
    slug: str
    nextech_url: str
    ghl_url: str
    ghl: GhlSandbox
    emr: PracticeState
    location_id: str
    username: str
    app: Authenticator  # the staff member's authenticator app, holding the test's secret
    shots: Path

    @property
    def practice_host(self) -> str:
        return f"http://{self.slug}.localhost:{self.port}"

    def shot(self, page: Page, name: str) -> None:
        page.screenshot(path=str(self.shots / f"{name}.png"), full_page=True)


def off_loop(work: Callable[[], T]) -> T:
    """Run ORM work on a thread of its own: Playwright's event loop runs in this one, and
    Django refuses database calls there."""
    def run() -> T:
        try:
            return work()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result(timeout=120)


@pytest.fixture
def rig(django_db_setup, django_db_blocker, settings, tmp_path) -> Iterator[Rig]:
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    nextech = nextech_make_app()
    emr = nextech.state.practice_register(PracticeConfig(
        practice_id=GUID, flavor="select", client_id=CLIENT_ID, username=API_USER,
        password=API_PASSWORD, resource=RESOURCE))
    seed_demo_week(emr)
    ghl = ghl_make_app(search_delay_seconds=0)
    location_create(state=ghl.state, name="Some Other Clinic")
    location_id = location_create(state=ghl.state, name="Cedar Aesthetics").id
    slug = f"cedar-{uuid.uuid4().hex[:6]}"
    shots = Path(SCREENSHOT_DIR) if SCREENSHOT_DIR else tmp_path
    with (django_db_blocker.unblock(), BackgroundServer(nextech) as nextech_server,
          BackgroundServer(ghl) as ghl_server,
          BackgroundServer(StaticFilesHandler(WSGIHandler())) as web):
        database, test_name = (connection.settings_dict["NAME"],
                               connection.settings_dict["TEST"]["NAME"])
        if not (database == test_name if test_name else database.startswith("test_")):
            raise RuntimeError("no test database: select a test that uses `db` as well")
        public_tenant_ensure()  # the agency host `localhost` must map to the public schema
        user = User.objects.create_superuser(f"agency-{uuid.uuid4().hex[:8]}",
                                             "agency@example.com", STAFF_PASSWORD)
        app = Authenticator(authenticator_device(user))
        try:
            yield Rig(agency=web.url.replace("127.0.0.1", "localhost"),
                      port=web.url.rsplit(":", 1)[1], slug=slug, nextech_url=nextech_server.url,
                      ghl_url=ghl_server.url, ghl=ghl, emr=emr, location_id=location_id,
                      username=user.username, app=app, shots=shots)
        finally:
            practice_drop(slug=slug)
            user.delete()


def _login(page: Page, origin: str, rig: Rig) -> None:
    """The admin's two steps: password, then the code the authenticator app shows now."""
    page.goto(f"{origin}/admin/")
    _sign_in_here(page, rig)


def _sign_in_here(page: Page, rig: Any) -> None:
    """On an admin sign-in page: the password, then the authenticator's code. `rig` is
    anything with the staff member's `username` and authenticator `app`."""
    page.fill("#id_username", rig.username)
    page.fill("#id_password", STAFF_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#verify")
    page.fill("#id_code", rig.app.code())
    page.click("#verify button[type=submit]")
    page.wait_for_selector("#user-tools")


def _text(page: Page, selector: str) -> str:
    return " ".join((page.text_content(selector) or "").split())


def _submit(page: Page, selector: str) -> None:
    """Click what posts a form and wait for the page it leads to."""
    with page.expect_navigation(timeout=60_000):
        page.click(selector)


def _save(page: Page) -> str:
    """"Save and continue editing"; the form must have been accepted."""
    _submit(page, "input[name=_continue]")
    assert not page.locator(".errornote, .errorlist").count(), _text(page, "#content")
    return _text(page, ".messagelist .success")


def _checklist(page: Page) -> dict[str, str]:
    items = page.locator("#onboarding li")
    return {(items.nth(i).get_attribute("id") or "").removeprefix("onboarding-"):
            items.nth(i).get_attribute("class") or "" for i in range(items.count())}


def _category_set(source: Path, target: Path, *, type_name: str, category: str) -> str:
    """What the client does with the exported sheet: fill in one type's category; returns
    the suggestion the export showed beside it."""
    book = openpyxl.load_workbook(source)
    sheet = book.active
    header = [cell.value for cell in sheet[1]]
    name_at, category_at = header.index("Appointment type"), header.index("Category")
    purpose_at, suggested_at = header.index("Purpose id"), header.index("Suggested category")
    for row in sheet.iter_rows(min_row=2):
        if row[name_at].value == type_name and row[purpose_at].value in (None, ""):
            assert row[category_at].value in (None, ""), "a suggestion is not a decision"
            before = str(row[suggested_at].value)
            row[category_at].value = category
            book.save(target)
            return before
    raise AssertionError(f"{type_name} is not in the exported sheet")


def _sources(schema: str) -> set[str]:
    with schema_context(schema):
        return set(CategoryMapping.objects.values_list("source", flat=True))


def test_agency_staff_onboard_a_practice_in_one_sitting(rig, tmp_path):
    schema = f"p_{rig.slug.replace('-', '_')}"
    with chromium_page() as page:
        _login(page, rig.agency, rig)

        # 1. Create the practice.
        page.goto(f"{rig.agency}/admin/tenants/practice/add/")
        page.fill("#id_name", PRACTICE_NAME)
        page.fill("#id_slug", rig.slug)
        page.select_option("#id_emr_flavor", label="Nextech Cloud (Select)")
        page.select_option("#id_practice_type", label="Plastic surgery + med spa")
        page.fill("#id_time_zone", "America/Chicago")
        page.fill("#id_country", "US")
        rig.shot(page, "01-practice-add")
        created = _save(page)
        rig.shot(page, "02-practice-created")
        assert "was added successfully" in created, created
        assert f"schema {schema}" in _text(page, "#onboarding-created")
        assert _text(page, ".field-schema_name .readonly") == schema
        assert _text(page, ".field-portal_link .readonly") == f"{rig.slug}.localhost"

        # 2. Nextech credentials, tested first with a wrong password, then the right one.
        page.click("text=Add another Nextech credentials")
        prefix = "#id_nextech_credential-0-"
        page.fill(prefix + "base_url", f"{rig.nextech_url}/api")
        page.fill(prefix + "token_url", f"{rig.nextech_url}/nextech-api.com/oauth2/token")
        page.fill(prefix + "resource", RESOURCE)
        page.fill(prefix + "practice_guid", GUID)
        page.fill(prefix + "client_id", CLIENT_ID)
        page.fill(prefix + "username", API_USER)
        page.fill(prefix + "password", "Cedar-Old-Password")
        _save(page)
        _submit(page, "button:text-is('Test Nextech connection')")
        refused = _text(page, ".messagelist .error")
        rig.shot(page, "03-nextech-wrong-password")
        assert refused.startswith("Nextech refused the user name or password."), refused
        assert _checklist(page)["nextech_tested"] == "left"
        assert "Last test failed: Nextech refused" in _text(page, "#onboarding-nextech_tested")

        page.fill(prefix + "password", API_PASSWORD)
        _save(page)
        _submit(page, "button:text-is('Test Nextech connection')")
        works = _text(page, ".messagelist .success")
        rig.shot(page, "04-nextech-works")
        assert works == "Nextech connection works: signed in and read the practice."
        assert _checklist(page)["nextech_tested"] == "done"

        # 3. GoHighLevel: aimed at the sandbox, then connected through its chooser.
        page.click("text=Add another GoHighLevel credentials")
        ghl = "#id_ghl_credential-0-"
        page.fill(ghl + "api_base_url", rig.ghl_url)
        page.fill(ghl + "authorize_url", f"{rig.ghl_url}/v2/oauth/chooselocation")
        page.fill(ghl + "token_url", f"{rig.ghl_url}/oauth/token")
        _save(page)
        assert "Not connected" in _text(page, "#ghl-status")
        page.click("text=Connect GoHighLevel")
        page.wait_for_selector("#location_id")  # the sandbox's chooselocation page
        rig.shot(page, "05-ghl-choose-location")
        page.select_option("#location_id", label="Cedar Aesthetics")
        page.click("#continue")
        page.wait_for_selector("#ghl-status")
        connected = _text(page, ".messagelist .success")
        rig.shot(page, "06-ghl-connected")
        assert connected == ("GoHighLevel connected: Cedar Aesthetics "
                             f"(location {rig.location_id})."), connected
        assert "GoHighLevel: Connected" in _text(page, "#ghl-status")
        assert _checklist(page)["ghl"] == "done"

        # Set-up: the catalog with suggested categories, locations, stages, CRM fields.
        _submit(page, "button:text-is('Run set-up')")
        set_up = _text(page, ".messagelist")
        checklist = _checklist(page)
        rig.shot(page, "07-set-up-done")
        fields = len(rig.ghl.state.locations[rig.location_id].custom_fields)
        assert set_up == ("Set-up done: 8 types, 21 purposes, 8 categories suggested, "
                          f"2 locations, {fields} CRM fields."), set_up
        assert fields > 0
        assert {key: checklist[key] for key in ("catalog", "stages", "locations")} == {
            "catalog": "done", "stages": "done", "locations": "done"}, checklist
        assert checklist["categories"] == "left"
        assert "8 of 8 mapped" in _text(page, "#onboarding-stages")

        # 4. The category spreadsheet, from the practice admin on the practice's host:
        # exported, one category changed as the client would, previewed, then imported.
        _login(page, rig.practice_host, rig)
        page.goto(f"{rig.practice_host}/admin/integrations/categorymapping/")
        page.click("a:text-is('Export')")
        page.select_option("#id_format", label="xlsx")
        with page.expect_download() as download:
            page.click("input[type=submit][value=Submit]")
        exported = tmp_path / "categories.xlsx"
        download.value.save_as(exported)
        edited = tmp_path / "categories-edited.xlsx"
        changed = _category_set(exported, edited, type_name="Virtual Consult",
                                category="Surgical Consult")

        page.goto(f"{rig.practice_host}/admin/integrations/categorymapping/import/")
        page.set_input_files("#id_import_file", str(edited))
        page.select_option("#id_format", label="xlsx")
        _submit(page, "input[type=submit][value=Submit]")
        preview = _text(page, "#content")
        changed_row = _text(page, "table.import-preview tr:has-text('Virtual Consult')")
        rig.shot(page, "08-category-import-preview")
        assert "Below is a preview of data to be imported" in preview, preview
        assert changed == "Online Appointment"  # the suggestion the export carried
        assert changed_row.startswith("Update 7 Virtual Consult"), changed_row
        assert "Surgical Consult" in changed_row and "imported" in changed_row
        assert off_loop(lambda: _sources(schema)) == {"suggested"}  # a dry run so far
        _submit(page, "input[name=confirm]")
        imported = _text(page, ".messagelist")
        rig.shot(page, "09-category-import-done")
        # Only the row the client filled in is confirmed; the others still wait.
        assert imported == ("Import finished: 0 new, 1 updated, 0 deleted and 28 skipped "
                            "category mappings."), imported
        assert off_loop(lambda: _sources(schema)) == {"imported", "suggested"}

        # The rest confirmed as suggested, from the admin's list, by agency staff.
        page.goto(f"{rig.practice_host}/admin/integrations/categorymapping/")
        page.check("#action-toggle")
        page.select_option("select[name=action]", "suggestions_confirm_selected")
        _submit(page, "button[name=index]")
        confirmed = _text(page, ".messagelist")
        assert confirmed == ("7 suggested categories confirmed; their appointments move at "
                             "the next sync."), confirmed

        # 5. Routing and the billable flag, per location (pulled by set-up).
        locations_page = f"{rig.practice_host}/admin/integrations/location/"
        page.goto(locations_page)
        page.click("a:text-is('Aurora MedSpa - Alpharetta')")
        page.fill("#id_routing_tag", ROUTING_TAG)
        _save(page)
        page.goto(locations_page)
        page.click("a:text-is('Aurora Plastic Surgery - Buckhead')")
        page.uncheck("#id_billable")
        _save(page)
        page.goto(locations_page)
        locations = _text(page, "#result_list")
        rig.shot(page, "10-locations")
        assert ROUTING_TAG in locations
        assert page.locator("#result_list img[alt=False]").count() == 1  # one not billable

        # 6. Payments (after the warning), poll interval, then activate.
        page.goto(f"{rig.agency}/admin/tenants/practice/")
        page.click(f"a:text-is('{PRACTICE_NAME}')")
        warning = _text(page, "fieldset:has(input[name=payments]) .description")
        page.check("input[name=payments][value=on]")
        page.fill("#id_poll_interval_minutes", "2")
        _save(page)
        checklist = _checklist(page)
        payments = _text(page, "#onboarding-payments")
        assert warning.startswith("Payments set Invoice Paid Amount and Patient Lifetime Value"
                                  ), warning
        assert "Not recommended for plastic-surgery practices" in warning
        assert payments.endswith("Payments sync is on. Not recommended for plastic-surgery "
                                 "practices."), payments
        assert checklist["categories"] == "done", _text(page, "#onboarding-categories")
        assert [key for key, state in checklist.items() if state == "left"] == ["activated"]

        _submit(page, "button:text-is('Activate')")
        activated = _text(page, ".messagelist")
        rig.shot(page, "11-activated")
        assert activated == "Activated: the first poll backfills recent and upcoming visits."
        assert _checklist(page)["activated"] == "done"
        assert "Active" in _text(page, "#onboarding-activated")
        schedule = off_loop(lambda: Schedule.objects.values("repeats", "minutes").get(
            name=f"poll:{schema}"))
        assert schedule == {"repeats": -1, "minutes": 2}

        # The schedule's first tick, run here rather than by a qcluster.
        tick = off_loop(lambda: practice_poll(schema))
        crm = rig.ghl.state.locations[rig.location_id]
        contacts, notes = list(crm.contacts.values()), list(crm.notes)
        page.goto(f"{rig.practice_host}/")
        health = _text(page, "#sync-health")
        dashboard = _text(page, "main")
        rig.shot(page, "12-portal-dashboard-after-first-tick")

    assert (tick["errors"], tick["dead_letters"]) == (0, 0), tick
    assert tick["events_processed"] > 0, tick
    patients = {(row.given, row.family) for row in rig.emr.patients.values()}
    assert {(contact.first_name, contact.last_name) for contact in contacts} == patients
    assert all(contact.custom_fields for contact in contacts)  # the NXT fields are filled
    tagged = [contact for contact in contacts if ROUTING_TAG in contact.tags]
    assert 0 < len(tagged) < len(contacts)  # the med spa's patients, not the surgery's
    assert any("Type: Virtual Consult" in note["body"] and "Category: Surgical Consult"
               in note["body"] for note in notes)  # the category imported from the sheet
    assert "Status: Active" in health and "on schedule" in health, health
    assert "Aurora Plastic Surgery - Buckhead (not billed)" in dashboard


def test_the_new_practice_form_asks_for_what_onboarding_starts_with(db, client):
    """Also makes pytest-django set up the test database when this module runs alone: it
    does so only for tests that use `db`, and the test above commits instead."""
    public_tenant_ensure()
    staff_login(client, User.objects.create_superuser("agency", "a@example.com",
                                                    STAFF_PASSWORD))
    page = client.get("/admin/tenants/practice/add/", HTTP_HOST="localhost").content.decode()
    for field in ("name", "slug", "emr_flavor", "practice_type", "time_zone", "country",
                  "payments", "poll_interval_minutes"):
        assert f'id="id_{field}"' in page, field
    assert "Not recommended for plastic-surgery practices" in page
