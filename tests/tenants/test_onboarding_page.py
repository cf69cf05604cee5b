"""The practice page's onboarding checklist and its buttons, against the Nextech sandbox
served over HTTP."""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Iterator

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from integrations.categories import Stage
from integrations.http import ApiError, ErrorKind
from integrations.models import AppointmentType, CategoryMapping, Location, StageMapping
from integrations.nextech.sandbox import PracticeConfig
from integrations.nextech.sandbox import make_app as nextech_make_app
from integrations.nextech.sandbox.seed import catalog_seed
from integrations.sandbox_kit.transport import BackgroundServer
from tenants.models import GhlCredential, NextechCredential, Practice
from tenants.onboarding import nextech_failure_explain

GUID = "2441c8d4-1b7e-4f0a-9a7e-5f1d7c3e9b0b"
USER = "6f1e2d3c-0000-4000-8000-000000000abc@nextech-api.com"
PASSWORD = "Sandbox-Password-1!"


@pytest.fixture
def nextech_sandbox() -> Iterator[str]:
    app = nextech_make_app()
    catalog_seed(app.state.practice_register(PracticeConfig(
        practice_id=GUID, flavor="select", client_id="client-1", username=USER,
        password=PASSWORD, resource="https://select.nextech-api.com/api")))
    with BackgroundServer(app) as server:
        yield server.url


def _credential(practice: Practice, base: str, **fields: object) -> NextechCredential:
    values = {"base_url": f"{base}/api", "token_url": f"{base}/nextech-api.com/oauth2/token",
              "practice_guid": uuid.UUID(GUID), "client_id": "client-1", "username": USER,
              "password": PASSWORD, "resource": "https://select.nextech-api.com/api", **fields}
    credential, _ = NextechCredential.objects.update_or_create(practice=practice,
                                                               defaults=values)
    return credential


def _checklist(client: Client, practice: Practice) -> dict[str, str]:
    page = client.get(f"/admin/tenants/practice/{practice.pk}/change/").content.decode()
    items = re.findall(r'<li id="onboarding-(\w+)" class="(done|left)"', page)
    return dict(items)


def _messages(response) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def test_a_new_practice_has_everything_left_but_its_creation(agency, practice_b):
    assert _checklist(agency, practice_b) == {
        "created": "done", "nextech_credentials": "left", "nextech_tested": "left",
        "ghl": "left", "catalog": "left", "categories": "left", "stages": "left",
        "locations": "left", "payments": "left", "activated": "left"}


def test_the_checklist_follows_what_was_done(agency, practice_b):
    _credential(practice_b, "http://nextech.invalid", last_verified_at=timezone.now())
    GhlCredential.objects.create(practice=practice_b, auth_kind="private",
                                 private_token="pit-1", location_id="loc-1")
    with schema_context(practice_b.schema_name):
        botox = AppointmentType.objects.create(nextech_id="5", name="Botox")
        AppointmentType.objects.create(nextech_id="6", name="Filler")
        CategoryMapping.objects.create(appointment_type=botox, category="non_surgical_consult")
        for stage in Stage:
            StageMapping.objects.create(canonical_stage=stage.value, ghl_pipeline_id="p",
                                        ghl_stage_id=stage.value)
        Location.objects.create(nextech_id="1", name="Buckhead")
    checklist = _checklist(agency, practice_b)
    assert checklist == {
        "created": "done", "nextech_credentials": "done", "nextech_tested": "done",
        "ghl": "done", "catalog": "done", "categories": "left", "stages": "done",
        "locations": "done", "payments": "left", "activated": "left"}
    page = _messages(agency.get(f"/admin/tenants/practice/{practice_b.pk}/change/"))
    assert "Categories confirmed — 2 unconfirmed (1 unmapped)" in page


def test_test_connection_with_a_wrong_password_says_so(agency, practice_b, nextech_sandbox):
    _credential(practice_b, nextech_sandbox, password="not-the-password")
    response = agency.post(
        f"/admin/tenants/practice/{practice_b.pk}/onboarding/test-nextech/", follow=True)
    text = _messages(response)
    assert "Nextech refused the user name or password." in text
    assert "Last test failed: Nextech refused the user name or password" in text
    assert _checklist(agency, practice_b)["nextech_tested"] == "left"


def test_test_connection_with_a_wrong_practice_id_says_so(agency, practice_b, nextech_sandbox):
    other = "00000000-0000-4000-8000-000000000000"
    _credential(practice_b, nextech_sandbox, practice_guid=uuid.UUID(other))
    text = _messages(agency.post(
        f"/admin/tenants/practice/{practice_b.pk}/onboarding/test-nextech/", follow=True))
    assert f"Signed in, but this user has no access to practice id {other}" in text


def test_test_connection_that_works_marks_it_done(agency, practice_b, nextech_sandbox):
    _credential(practice_b, nextech_sandbox, last_error="an old failure")
    text = _messages(agency.post(
        f"/admin/tenants/practice/{practice_b.pk}/onboarding/test-nextech/", follow=True))
    assert "Nextech connection works" in text
    credential = NextechCredential.objects.get(practice=practice_b)
    assert credential.last_error == "" and credential.last_verified_at is not None
    assert credential.access_token == ""  # the test's tokens are not kept
    assert _checklist(agency, practice_b)["nextech_tested"] == "done"


@pytest.mark.parametrize(("error", "says"), [
    (ApiError("nextech", ErrorKind.CONFIG, 400, "Nextech sign-in was refused (AADSTS50055: "
              "The password is expired.)"), "The Nextech password has expired."),
    (ApiError("nextech", ErrorKind.CONFIG, 400, "Nextech sign-in was refused (AADSTS50126: "
              "Error validating credentials.)"), "refused the user name or password"),
    (ApiError("nextech", ErrorKind.CONFIG, 403, "nx-practice-id is not granted"),
     "no access to practice id G"),
    (ApiError("nextech", ErrorKind.RATE_LIMITED, 429, "Too Many Requests"),
     "rate limiting this API user"),
    (ApiError("nextech", ErrorKind.RETRY, None, "ConnectionError"),
     "Nextech could not be reached (ConnectionError)"),
    (ApiError("nextech", ErrorKind.RETRY, 503, "Service Unavailable"),
     "server error (503)"),
])
def test_each_failure_has_its_own_message(error, says):
    assert says in nextech_failure_explain(error, practice_id="G")


def test_activate_waits_for_both_connections_then_starts_polling(agency, practice_b):
    url = f"/admin/tenants/practice/{practice_b.pk}/onboarding/activate/"
    text = _messages(agency.post(url, follow=True))
    assert "Not activated: nextech connection tested and gohighlevel connected first." in text
    _credential(practice_b, "http://nextech.invalid", last_verified_at=timezone.now())
    GhlCredential.objects.create(practice=practice_b, auth_kind="private",
                                 private_token="pit-1", location_id="loc-1")
    text = _messages(agency.post(url, follow=True))
    assert ("Not activated: categories not confirmed (no appointment types pulled). Confirm "
            "them in the portal's category review, or use “Activate anyway; unconfirmed types "
            "wait for review”.") in text
    practice_b.refresh_from_db()
    assert practice_b.status == Practice.Status.ONBOARDING
    text = _messages(agency.post(url, {"anyway": "1"}, follow=True))
    assert "Activated: the first poll backfills" in text
    assert ("Appointments of unconfirmed types are noted as waiting for review and move "
            "nothing until their category is confirmed.") in text
    practice_b.refresh_from_db()
    assert practice_b.status == Practice.Status.ACTIVE
    assert _checklist(agency, practice_b)["activated"] == "done"


def test_activate_anyway_is_offered_only_while_categories_are_unconfirmed(agency, practice_a):
    page = f"/admin/tenants/practice/{practice_a.pk}/change/"
    assert "Activate anyway; unconfirmed types wait for review" in agency.get(
        page).content.decode()
    with schema_context(practice_a.schema_name):
        botox = AppointmentType.objects.create(nextech_id="5", name="Botox")
        CategoryMapping.objects.create(appointment_type=botox, category="block",
                                       source=CategoryMapping.Source.CONFIRMED)
    assert "Activate anyway" not in agency.get(page).content.decode()


def test_run_set_up_needs_gohighlevel_first(agency, practice_b):
    text = _messages(agency.post(
        f"/admin/tenants/practice/{practice_b.pk}/onboarding/setup/", follow=True))
    assert "Set-up did not finish (ghl: Connect GoHighLevel first.)" in text


def test_the_actions_are_post_only_and_staff_only(agency, practice_b):
    url = f"/admin/tenants/practice/{practice_b.pk}/onboarding/activate/"
    assert agency.get(url).status_code == 405
    member = User.objects.create_user("member", "m@example.com", "a long password 42")
    client = Client(HTTP_HOST="localhost")
    client.force_login(member)
    assert client.post(url).status_code == 302  # to the admin login
    practice_b.refresh_from_db()
    assert practice_b.status == Practice.Status.ONBOARDING


def _post_practice(client: Client, practice: Practice, **changes: str):
    form = {"name": practice.name, "emr_flavor": practice.emr_flavor,
            "practice_type": practice.practice_type, "time_zone": practice.time_zone,
            "country": practice.country, "poll_interval_minutes": "5",
            "slow_poll_interval_minutes": "30", "opening_hours": practice.opening_hours,
            "nextech_daily_call_budget": "",
            "status": practice.status, "status_reason": practice.status_reason,
            "price_per_location": "99.00", "payments": "", "_continue": "1", **changes}
    for inline in ("nextech_credential", "ghl_credential", "memberships"):
        form |= {f"{inline}-TOTAL_FORMS": "0", f"{inline}-INITIAL_FORMS": "0"}
    return client.post(f"/admin/tenants/practice/{practice.pk}/change/", form, follow=True)


def test_payments_are_decided_only_when_staff_choose(agency, practice_b):
    _post_practice(agency, practice_b)
    assert _checklist(agency, practice_b)["payments"] == "left"
    page = _messages(_post_practice(agency, practice_b, payments="off"))
    assert "Payments decided — Payments sync is off." in page
    practice_b.refresh_from_db()
    assert practice_b.payments_decided_at is not None and not practice_b.payments_enabled
    assert _checklist(agency, practice_b)["payments"] == "done"


def test_a_med_spa_maps_three_stages_never_eight_of_three(agency, practice_b):
    Practice.objects.filter(pk=practice_b.pk).update(practice_type=Practice.Kind.MEDSPA)
    with schema_context(practice_b.schema_name):
        for stage in Stage:
            StageMapping.objects.create(canonical_stage=stage.value, ghl_pipeline_id="p",
                                        ghl_stage_id=stage.value)
    page = _messages(agency.get(f"/admin/tenants/practice/{practice_b.pk}/change/"))
    assert "Pipeline stages mapped — 3 of 3 mapped" in page
    with schema_context(practice_b.schema_name):
        StageMapping.objects.filter(canonical_stage=Stage.PATIENT.value).update(ghl_stage_id="")
    page = _messages(agency.get(f"/admin/tenants/practice/{practice_b.pk}/change/"))
    assert "Pipeline stages mapped — 2 of 3 mapped; map Non-Surgical: Patient" in page


def test_an_active_practice_with_open_steps_says_so(agency, practice_b):
    Practice.objects.filter(pk=practice_b.pk).update(status=Practice.Status.ACTIVE)
    page = _messages(agency.get(f"/admin/tenants/practice/{practice_b.pk}/change/"))
    assert ("This practice is polled (active) but its onboarding is not finished: Nextech "
            "credentials entered") in page
    assert "Activated — Active, with 8 onboarding steps still open" in page


def test_failing_nextech_credentials_undo_the_tested_step(agency, practice_b):
    _credential(practice_b, "http://nextech.invalid", last_verified_at=timezone.now())
    Practice.objects.filter(pk=practice_b.pk).update(
        status=Practice.Status.NEEDS_ATTENTION,
        status_reason="Nextech credentials failed: invalid_grant")
    assert _checklist(agency, practice_b)["nextech_tested"] == "left"
    page = _messages(agency.get(f"/admin/tenants/practice/{practice_b.pk}/change/"))
    assert "Polls fail: Nextech credentials failed: invalid_grant" in page
