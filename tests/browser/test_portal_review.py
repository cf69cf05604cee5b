"""The practice portal's review, failures, activity and first-sync pages in a real browser
(Debian's chromium, headless), on a practice of its own that the engine really syncs:
both sandboxes in-process, ticks run here, Django served over HTTP on committed rows.

Screenshots of every page at 1280 and 375 px land in test-artifacts/portal/ (gitignored),
or in AXC_SCREENSHOT_DIR, for a person to look at.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.test import override_settings
from django.utils import timezone
from django_tenants.utils import schema_context
from playwright.sync_api import Page

from integrations.clock import SimulatedClock
from integrations.engine.tick import practice_tick
from integrations.ghl.sandbox.signing import SigningKeys
from integrations.models import StageMapping
from integrations.nextech.sandbox import actions
from integrations.nextech.sandbox.seed import LOCAL
from integrations.sandbox_kit.transport import BackgroundServer
from tenants.models import Membership, Practice
from tenants.services import practice_create, public_tenant_ensure
from tests.browser.test_ghl_connect import chromium_page
from tests.browser.test_onboarding_flow import off_loop
from tests.nxt_create.conftest import NxtRig
from tests.support.onboarding import practice_drop

PASSWORD = "correct horse battery 42"
ARTIFACTS = Path(os.environ.get("AXC_SCREENSHOT_DIR")
                 or Path(__file__).resolve().parents[2] / "test-artifacts" / "portal")
WIDTHS = (1280, 375)
BACKFILLED = 45  # Dana's visits, read 20 a tick (page size 2, 10 pages a tick)


@dataclass
class World:
    origin: str
    practice: Practice
    rig: NxtRig
    username: str
    facts: dict[str, Any]

    def tick(self) -> dict[str, Any]:
        def run() -> dict[str, Any]:
            with schema_context(self.practice.schema_name):
                summary = practice_tick(practice=self.practice, nextech=self.rig.nextech,
                                        ghl=self.rig.ghl, clock=self.rig.clock)
            self.rig.later()
            return summary

        return off_loop(run)

    def in_schema(self, work: Any) -> Any:
        def run() -> Any:
            with schema_context(self.practice.schema_name):
                return work()

        return off_loop(run)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker) -> Iterator[World]:
    slug = f"review-{uuid.uuid4().hex[:6]}"
    with (django_db_blocker.unblock(),
          override_settings(SESSION_COOKIE_SECURE=False, CSRF_COOKIE_SECURE=False,
                            SECURE_SSL_REDIRECT=False, SECURE_HSTS_SECONDS=0),
          BackgroundServer(StaticFilesHandler(WSGIHandler())) as web):
        database, test_name = (connection.settings_dict["NAME"],
                               connection.settings_dict["TEST"]["NAME"])
        if not (database == test_name if test_name else database.startswith("test_")):
            raise RuntimeError("no test database: select a test that uses `db` as well")
        public_tenant_ensure()
        practice = practice_create(practice=Practice(name="Review Plastic Surgery", slug=slug))
        practice.status = Practice.Status.ACTIVE
        practice.save(update_fields=["status"])
        user = User.objects.create_user(f"staff-{uuid.uuid4().hex[:6]}", "staff@example.com",
                                        PASSWORD)
        Membership.objects.create(user=user, practice=practice)
        rig = NxtRig(clock=SimulatedClock(start=timezone.now() - timedelta(hours=3)),
                     keys=SigningKeys.generate())
        with schema_context(practice.schema_name):
            rig.crm_setup()
        connection.set_schema_to_public()
        port = web.url.rsplit(":", 1)[1]
        try:
            yield World(origin=f"http://{slug}.localhost:{port}", practice=practice, rig=rig,
                        username=user.username, facts={})
        finally:
            connection.set_schema_to_public()
            practice_drop(slug=slug)
            user.delete()


def _login(page: Page, world: World) -> None:
    page.goto(f"{world.origin}/login/")
    page.fill("#id_username", world.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#sync-health")


def _shot(page: Page, name: str) -> None:
    """The whole page, and its first screen (a long page shrinks past reading when viewed
    whole)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    width = page.viewport_size["width"] if page.viewport_size else 0
    page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}-{width}-first-screen.png"))


def _text(page: Page, selector: str) -> str:
    return " ".join((page.text_content(selector) or "").split())


def test_first_sync_review_queue_failures_and_activity(world):
    rig = world.rig
    rig.nextech.page_size = 2  # 10 pages a tick: the backfill takes three ticks
    dana = rig.patient_add()
    for n in range(BACKFILLED):
        rig.book(dana, type_id="5", days_ahead=n + 1)

    progress = []
    with chromium_page() as page:
        _login(page, world)
        for n in range(3):
            world.tick()
            page.goto(f"{world.origin}/")
            progress.append(_text(page, "#backfill") if page.locator("#backfill").count()
                            else "")
            if n == 0:
                _shot(page, "dashboard-backfilling")
        lag = _text(page, "#lag")
    assert progress[0].startswith(f"Backfilling: 20 of {BACKFILLED} appointments")
    assert progress[1].startswith(f"Backfilling: 40 of {BACKFILLED} appointments")
    assert progress[2] == ""
    assert "on schedule" in lag

    # Three things for a person: a write the CRM cannot take (no stage mapped for Lee's
    # consult), an NXT-Create of a contact without a date of birth, a type nobody mapped.
    world.in_schema(lambda: StageMapping.objects.filter(
        canonical_stage="surgical:consult_booked").delete())
    lee = rig.patient_add(given="Lee", family="Park")
    rig.book(lee, type_id="1")
    laser = actions.catalog_add(rig.emr, kind="appointment_types", name="Laser Genesis")
    rig.book(dana, type_id=laser.id, days_ahead=50)
    rig.later(1)  # the cancellation below is Dana's last change of the tick
    first = min((a for a in rig.emr.appointments.values() if a.patient_id == dana),
                key=lambda a: a.start)
    second_day = (first.start + timedelta(days=1)).astimezone(LOCAL).date()
    rig.set_status(first.id, "cancelled")
    assert world.tick()["errors"] == 0
    contact = rig.contact_add(firstName="Maya", lastName="Lopez", dateOfBirth=None)
    rig.tag(contact)
    world.in_schema(lambda: rig.process(world.practice, contact))
    today = rig.clock.now().astimezone(LOCAL).date()

    with chromium_page() as page:
        _login(page, world)
        count = _text(page, "#review-count")
        page.click("#review-count a")
        page.wait_for_selector("#review-total")
        queued = page.locator("ul.queue > li").count()
        queue = _text(page, "main")
        _shot(page, "review-queue")

        page.goto(f"{world.origin}/failures/")
        failures = _text(page, "#dead-letters")
        _shot(page, "failures")
        page.click("#dead-letters a.patient:has-text('Lee Park')")
        page.wait_for_selector("#timeline")
        opened = _text(page, "h1")

        page.goto(f"{world.origin}/activity/")
        statuses = page.eval_on_selector_all("#id_status option", "os => os.map(o => o.value)")
        cancelled = next(value for value in statuses if value.startswith("appointment:Cancel"))
        page.select_option("#id_status", cancelled)
        page.click("#activity-filters button[type=submit]")
        page.wait_for_selector("#events")
        cancelled_rows = page.eval_on_selector_all("li.event", "ls => ls.map(l => l.innerText)")
        _shot(page, "activity-filtered-status")

        page.fill("#patient-query", "Lee Park")
        page.select_option("#id_status", "")
        page.click("#activity-filters button[type=submit]")
        page.wait_for_selector("#results")
        lee_url = page.url
        lee_rows = page.eval_on_selector_all("li.event", "ls => ls.map(l => l.innerText)")

        page.fill("#patient-query", "")
        page.fill("#id_day_from", (today - timedelta(days=1)).isoformat())
        page.fill("#id_day_to", (today - timedelta(days=1)).isoformat())
        page.click("#activity-filters button[type=submit]")
        page.wait_for_selector("#events")
        yesterday_rows = page.locator("li.event").count()
        page.fill("#id_day_from", today.isoformat())
        page.fill("#id_day_to", today.isoformat())
        page.click("#activity-filters button[type=submit]")
        page.wait_for_selector("#events")
        today_rows = page.locator("li.event").count()
        page.click("li.event:has(a.row-link) >> nth=0")  # anywhere on the row opens it
        page.wait_for_selector("#timeline")
        row_opened = page.url

    # The count is the queue: the failed write, the failed NXT-Create, Laser Genesis.
    assert count == "Needs your review: 3"
    assert queued == 3, queue
    assert "Moving the opportunity in Aesthetix CRM" in queue
    assert "Creating the patient in Nextech (NXT-Create)" in queue
    assert "Laser Genesis: not mapped" in queue
    assert "Lee Park" in failures and "Maya Lopez" in failures
    assert opened == "Lee Park"
    # The cancellation, from what to what: Next Visit moves to the next booked day.
    assert len(cancelled_rows) == 1, cancelled_rows
    assert f"Next Visit Date: {first.start.astimezone(LOCAL).date().isoformat()} → " \
           f"{second_day.isoformat()}" in cancelled_rows[0]
    assert "Dana Reyes" in cancelled_rows[0]
    # The patient filter was posted: no name in the URL.
    assert lee_url == f"{world.origin}/activity/"
    assert lee_rows and all("Lee Park" in row for row in lee_rows)
    assert "Surgical pipeline: Consult Booked" in lee_rows[0]
    assert yesterday_rows == 0 and today_rows >= BACKFILLED
    assert "/activity/" in row_opened and row_opened != f"{world.origin}/activity/"
    world.facts["dana"] = dana


def test_every_portal_page_fits_its_width(world):
    pages = ["/", "/review/", "/categories/", "/activity/", "/failures/", "/bill/"]
    if "dana" in world.facts:
        pages.append(f"/activity/{world.facts['dana']}/")
    overflowing = {}
    with chromium_page() as page:
        _login(page, world)
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            for path in pages:
                page.goto(f"{world.origin}{path}")
                sizes = page.evaluate("() => [document.documentElement.scrollWidth, "
                                      "window.innerWidth]")
                if sizes[0] > sizes[1]:
                    overflowing[(width, path)] = sizes
                name = path.strip("/").split("/")[0] or "dashboard"
                _shot(page, name + ("-patient" if path.count("/") > 2 else ""))
    assert overflowing == {}
