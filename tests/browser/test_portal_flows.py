"""The practice portal in a real browser (Debian's chromium, headless): sign in, dashboard,
category review, the spreadsheet with a bad row then a good one, patient activity, and a
member of A refused on B's host. Django is served over HTTP against committed rows."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.handlers.wsgi import WSGIHandler
from django.utils import timezone
from django_tenants.utils import schema_context
from playwright.sync_api import Page

from integrations.models import (
    AppointmentPurpose,
    AppointmentType,
    CategoryMapping,
    EngineSettings,
    KnownAppointment,
    KnownPatient,
    OutboxOp,
    PatientAccessLog,
    SyncLog,
    SyncState,
)
from integrations.sandbox_kit.transport import BackgroundServer
from tenants.models import Membership, Practice
from tests.browser.test_ghl_connect import chromium_page
from tests.onboarding.sheets import xlsx_build

PASSWORD = "correct horse battery 42"
SCREENSHOT_DIR = os.environ.get("AXC_SCREENSHOT_DIR")
NOTE = ("Nextech appointment: Confirmed\nType: Surgical Consult\nPurpose: Breast Augmentation\n"
        "Category: Surgical Consult")


def _seed(practice: Practice) -> None:
    with schema_context(practice.schema_name):
        state = SyncState.current()
        state.last_success_at = timezone.now() - timedelta(minutes=2)
        state.save()
        consult = AppointmentType.objects.create(nextech_id="1", name="Surgical Consult")
        AppointmentType.objects.create(nextech_id="9", name="Zeta Follow Up")
        CategoryMapping.objects.create(appointment_type=consult, category="surgical_consult")
        KnownPatient.objects.create(nextech_id="4711", given="Dana", family="Reyes",
                                    email="dana.reyes@example.com", phone="+14045550101")
        KnownAppointment.objects.create(
            nextech_id="88", patient_id="4711", status="booked", status_label="Confirmed",
            start=timezone.now() + timedelta(days=7), created=timezone.now(), type_id="1",
            type_name="Surgical Consult", purpose_names=["Breast Augmentation"])
        SyncLog.objects.create(kind="event", patient_ref="4711", message=(
            "Appointment 88: Confirmed (Surgical Consult); stage Consult Booked"))
        OutboxOp.objects.create(key="note:88", patient_id="4711", kind="note_add",
                                payload={"body": NOTE}, state=OutboxOp.State.DONE)
        OutboxOp.objects.create(key="opp:4711", patient_id="4711", kind="opportunity_upsert",
                                payload={"pipeline": "surgical",
                                         "stage": "surgical:consult_booked", "status": "open"},
                                state=OutboxOp.State.DONE)


def _unseed(practice: Practice) -> None:
    # EngineSettings too: the patient page's stage read creates the practice's row.
    with schema_context(practice.schema_name):
        for model in (AppointmentPurpose, AppointmentType, KnownAppointment, KnownPatient,
                      SyncLog, OutboxOp, SyncState, PatientAccessLog, EngineSettings):
            model.objects.all().delete()


@pytest.fixture
def served(practices, django_db_blocker, settings) -> Iterator[dict]:
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    with django_db_blocker.unblock(), BackgroundServer(StaticFilesHandler(WSGIHandler())) as web:
        practice = Practice.objects.get(pk=practices["a"].pk)
        user = User.objects.create_user(f"alice-{uuid.uuid4().hex[:6]}", "alice@example.com",
                                        PASSWORD)
        Membership.objects.create(user=user, practice=practice)
        _seed(practice)
        port = web.url.rsplit(":", 1)[1]
        try:
            yield {"alpha": f"http://alpha.localhost:{port}",
                   "bravo": f"http://bravo.localhost:{port}", "practice": practice, "user": user}
        finally:
            _unseed(practice)
            user.delete()


def _login(page: Page, origin: str, username: str) -> None:
    page.goto(f"{origin}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")


def test_portal_user_reviews_categories_imports_and_follows_a_patient(served, tmp_path):
    alpha, practice, user = served["alpha"], served["practice"], served["user"]
    shots = Path(SCREENSHOT_DIR) if SCREENSHOT_DIR else tmp_path
    bad = tmp_path / "categories-bad.xlsx"
    bad.write_bytes(xlsx_build([["9", "Zeta Follow Up", "", "", "Post-Op Appointment"],
                                ["1", "Surgical Consult", "", "", "Spa Day"]]))
    good = tmp_path / "categories.xlsx"
    good.write_bytes(xlsx_build([["9", "Zeta Follow Up", "", "", "Post-Op Appointment"],
                                 ["1", "Surgical Consult", "", "", "Surgical Consult"]]))

    with chromium_page() as page:
        _login(page, alpha, user.username)
        page.wait_for_selector("#last-poll")
        last_poll = page.text_content("#last-poll") or ""
        page.screenshot(path=str(shots / "portal-dashboard.png"), full_page=True)

        page.click("text=Categories")
        counts_before = page.text_content("#category-counts") or ""
        first_row = page.text_content("tbody tr th") or ""
        page.select_option("#category-" + page.get_attribute(
            "tbody tr input[name=appointment_type]", "value"), label="Non-Surgical Appointment")
        page.click("button[aria-label='Confirm the category for Zeta Follow Up']")
        page.wait_for_selector(".messages")
        saved = page.text_content(".messages") or ""
        counts_after = page.text_content("#category-counts") or ""
        page.screenshot(path=str(shots / "portal-categories.png"), full_page=True)

        page.set_input_files("#spreadsheet-file", str(bad))
        page.click("text=Preview import")
        page.wait_for_selector("#import-problems")
        problems = page.text_content("#import-problems") or ""
        confirm_offered = page.locator("text=Confirm import").count()
        page.screenshot(path=str(shots / "portal-import-bad-row.png"), full_page=True)

        page.click("text=Back to categories")
        page.set_input_files("#spreadsheet-file", str(good))
        page.click("text=Preview import")
        preview = page.text_content("#import-preview") or ""
        page.click("text=Confirm import")
        page.wait_for_selector(".messages")
        imported = page.text_content(".messages") or ""

        page.click("text=Patient activity")
        page.fill("#patient-query", "(404) 555-0101")
        page.click("button:has-text('Search')")
        page.click("text=Dana Reyes")
        page.wait_for_selector("#timeline")
        stages = page.text_content("#stages") or ""
        timeline = page.text_content("#timeline") or ""
        page.screenshot(path=str(shots / "portal-patient-timeline.png"), full_page=True)

    assert "Last successful poll:" in last_poll and "2\xa0minutes ago" in last_poll
    assert "1 appointment type not mapped" in counts_before
    assert "Zeta Follow Up" in first_row  # unmapped first, though it sorts last
    # Zeta moved nothing while unmapped: nothing to re-evaluate, its appointments just move.
    assert "Saved and confirmed." in saved
    assert "Every appointment type is mapped" in counts_after
    assert "Row 3: Category: “Spa Day” is not a category." in problems
    assert confirm_offered == 0
    assert "The file is valid" in preview
    assert "Imported 2 rows from categories.xlsx" in imported
    assert "Surgical pipeline: Consult Booked" in stages
    assert "Moved to Surgical pipeline: Consult Booked" in timeline
    assert "Category: Surgical Consult" in timeline
    with schema_context(practice.schema_name):
        zeta = CategoryMapping.objects.get(appointment_type__nextech_id="9")
        assert (zeta.category, zeta.source, zeta.confirmed_by) == (
            "post_op", "imported", user.username)
        log = list(PatientAccessLog.objects.order_by("id").values_list(
            "username", "patient_ref", "view"))
    # The activity list names Dana on her events, the search finds her (and lists her events
    # again), her timeline opens: each is an access.
    assert log == [(user.username, "4711", view)
                   for view in ("activity list", "search", "activity list", "activity")]


def test_the_bad_sheet_alone_imports_nothing(served, tmp_path):
    alpha, practice, user = served["alpha"], served["practice"], served["user"]
    bad = tmp_path / "categories.xlsx"
    bad.write_bytes(xlsx_build([["9", "Zeta Follow Up", "", "", "Post-Op Appointment"],
                                ["1", "Surgical Consult", "", "", "Spa Day"]]))
    with chromium_page() as page:
        _login(page, alpha, user.username)
        page.goto(f"{alpha}/categories/")
        page.set_input_files("#spreadsheet-file", str(bad))
        page.click("text=Preview import")
        problems = page.text_content("#import-problems") or ""
    assert "Row 3" in problems
    with schema_context(practice.schema_name):
        assert not CategoryMapping.objects.filter(appointment_type__nextech_id="9").exists()
        assert CategoryMapping.objects.get(appointment_type__nextech_id="1").source == (
            "suggested")


def test_a_member_of_a_cannot_reach_bs_portal(served, tmp_path):
    bravo, user = served["bravo"], served["user"]
    shots = Path(SCREENSHOT_DIR) if SCREENSHOT_DIR else tmp_path
    with chromium_page() as page:
        _login(page, bravo, user.username)
        refused = page.text_content("main") or ""
        page.screenshot(path=str(shots / "portal-b-refused.png"), full_page=True)
        statuses = [page.goto(f"{bravo}{path}").status
                    for path in ("/", "/categories/", "/activity/4711/", "/failures/", "/bill/")]
        on_login = page.url
    assert "Please enter a correct" in refused
    assert statuses == [200] * 5 and "/login/" in on_login  # still anonymous on B: to log in


def test_the_category_page_fits_a_phone(served, tmp_path):
    alpha, practice, user = served["alpha"], served["practice"], served["user"]
    shots = Path(SCREENSHOT_DIR) if SCREENSHOT_DIR else tmp_path
    with schema_context(practice.schema_name):
        consult = AppointmentType.objects.get(nextech_id="1")
        for number, name in enumerate(("Breast Augmentation with Fat Transfer Revision",
                                       "Rhinoplasty"), start=11):
            AppointmentPurpose.objects.create(nextech_id=str(number), name=name,
                                              appointment_type=consult)
    with chromium_page() as page:
        page.set_viewport_size({"width": 375, "height": 800})
        _login(page, alpha, user.username)
        page.goto(f"{alpha}/categories/")
        widths = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        leads_to = page.text_content(f"#type-{consult.pk} .leads-to") or ""
        confirm_all = page.locator("#confirm-all button").is_visible()
        page.screenshot(path=str(shots / "portal-categories-375.png"), full_page=True)
    assert widths[0] <= widths[1] == 375, widths  # nothing runs off the side
    assert "Waits for review, moves nothing. Once confirmed: Surgical pipeline" in leads_to
    assert confirm_all
