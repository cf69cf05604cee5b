"""The Content-Security-Policy header on portal and admin pages, and those pages in a real
browser (headless chromium) under it: no script or style of ours is refused, and the
pages keep their styles."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from django.contrib.auth.models import User
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.handlers.wsgi import WSGIHandler
from django.test import Client

from integrations.sandbox_kit.transport import BackgroundServer
from tenants.models import Membership, Practice
from tenants.services import public_tenant_ensure
from tests.browser.test_ghl_connect import chromium_page
from tests.support.staff import staff_login


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


@pytest.fixture
def staff(practices, db) -> User:
    user = User.objects.create_superuser("csp-staff", "csp@example.com", "correct horse 42")
    Membership.objects.create(user=user, practice=Practice.objects.get(pk=practices["a"].pk))
    return user


@pytest.mark.parametrize(("host", "path"), [
    ("alpha.localhost", "/"),  # the portal's dashboard
    ("alpha.localhost", "/activity/"),
    ("localhost", "/admin/"),  # the agency admin
    ("localhost", "/admin/tenants/practice/"),
    ("localhost", "/admin/tenants/practicehealth/"),
])
def test_pages_carry_a_policy_without_inline_script(staff, host, path):
    client = Client(HTTP_HOST=host)
    staff_login(client, staff)

    response = client.get(path)

    assert response.status_code == 200
    policy = _policy(response)
    assert policy["script-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    # Every inline <style> carries this response's nonce, the one the header allows.
    page = response.content.decode()
    nonces = [s[len("'nonce-"):-1] for s in policy["style-src"] if s.startswith("'nonce-")]
    for attributes in re.findall(r"<style([^>]*)>", page):
        assert nonces and f'nonce="{nonces[0]}"' in attributes, attributes
    assert 'style="' not in page and "<script>" not in page


def test_the_nonce_is_new_on_every_response(staff):
    client = Client(HTTP_HOST="alpha.localhost")
    staff_login(client, staff)
    nonces = {_policy(client.get("/"))["style-src"][-1] for _ in range(2)}
    assert len(nonces) == 2


@pytest.fixture
def served(practices, django_db_blocker, settings) -> Iterator[dict]:
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    with django_db_blocker.unblock(), BackgroundServer(StaticFilesHandler(WSGIHandler())) as web:
        public_tenant_ensure()
        practice = Practice.objects.get(pk=practices["a"].pk)
        user = User.objects.create_superuser(f"csp-{uuid.uuid4().hex[:8]}", "c@example.com",
                                             "correct horse 42")
        Membership.objects.create(user=user, practice=practice)
        sessions = {}
        for host in ("localhost", "alpha.localhost"):
            signed_in = Client(HTTP_HOST=host)
            staff_login(signed_in, user)
            sessions[host] = signed_in.cookies["sessionid"].value
        port = web.url.rsplit(":", 1)[1]
        try:
            yield {"port": port, "sessions": sessions, "practice": practice}
        finally:
            user.delete()


def test_portal_and_admin_pages_work_under_the_policy(served):
    port, practice = served["port"], served["practice"]
    pages = [f"http://alpha.localhost:{port}/", f"http://alpha.localhost:{port}/activity/",
             f"http://alpha.localhost:{port}/review/",
             f"http://localhost:{port}/admin/",
             f"http://localhost:{port}/admin/tenants/practicehealth/",
             f"http://localhost:{port}/admin/tenants/practice/{practice.pk}/change/"]
    refused: list[str] = []
    with chromium_page() as page:
        page.context.add_cookies([
            {"name": "sessionid", "value": value, "url": f"http://{host}:{port}/"}
            for host, value in served["sessions"].items()])
        page.on("console", lambda message: refused.append(message.text)
                if "Content Security Policy" in message.text else None)
        styles = {}
        for url in pages:
            response = page.goto(url)
            assert response is not None and response.status == 200, url
            assert "Content-Security-Policy" in {k.title(): v for k, v in
                                                 response.headers.items()}
            styles[url] = page.evaluate(
                "getComputedStyle(document.querySelector('header, #header')).backgroundColor")
        onboarding_marks = page.eval_on_selector_all(
            "#onboarding .mark-done, #onboarding .mark-left",
            "marks => marks.map(m => getComputedStyle(m).color)")
    assert refused == []
    # The portal's own (nonce'd) stylesheet applied: its dark header.
    assert styles[pages[0]] == styles[pages[1]] == styles[pages[2]] == "rgb(29, 35, 48)"
    # The practice page's onboarding checklist kept its colours.
    assert onboarding_marks and set(onboarding_marks) <= {"rgb(46, 125, 50)", "rgb(179, 38, 30)"}
