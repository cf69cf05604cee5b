"""The portal's login page on a phone (375 px wide, in headless chromium): styled like the
portal, nothing wider than the screen, and signing in works there."""

from __future__ import annotations

import os
from pathlib import Path

from tests.browser.test_ghl_connect import chromium_page
from tests.browser.test_portal_flows import PASSWORD, served  # noqa: F401 - the fixture

PHONE_WIDTH = 375
SCREENSHOT_DIR = os.environ.get("AXC_SCREENSHOT_DIR")


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH


def test_the_login_page_fits_a_phone_and_signs_in(served, tmp_path):  # noqa: F811
    origin, user = served["alpha"], served["user"]
    shots = Path(SCREENSHOT_DIR) if SCREENSHOT_DIR else tmp_path
    with chromium_page(width=PHONE_WIDTH, height=740) as page:
        page.goto(f"{origin}/login/")
        login_fits = _fits(page)
        boxes = [page.locator(selector).bounding_box()
                 for selector in ("#id_username", "#id_password", "#login button")]
        heading = page.text_content("h1") or ""
        page.screenshot(path=str(shots / "portal-login-375.png"), full_page=True)

        page.fill("#id_username", user.username)
        page.fill("#id_password", "not the password")
        page.click("#login button")
        error = page.text_content("[role=alert]") or ""
        error_fits = _fits(page)

        page.click("#forgot")
        reset_fits = _fits(page)
        page.screenshot(path=str(shots / "portal-password-reset-375.png"), full_page=True)
        page.click("text=Back to log in")
        page.fill("#id_username", user.username)
        page.fill("#id_password", PASSWORD)
        page.click("#login button")
        page.wait_for_selector("#last-poll")
        dashboard_url = page.url

    assert heading == "Log in to Alpha Plastic Surgery"
    assert login_fits and error_fits and reset_fits
    for box in boxes:  # each field and the button whole on screen, and big enough to tap
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE_WIDTH
        assert box["height"] >= 30
    assert "Please enter a correct" in error
    assert dashboard_url == f"{origin}/"
