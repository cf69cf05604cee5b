"""Failures in front-desk words with a retry; this month's bill."""

from __future__ import annotations

import re

from django.utils import timezone

from integrations.models import InboxItem, KnownPatient, Location, NxtCreateRequest, OutboxOp
from tenants.models import GhlCredential
from tests.portal.conftest import in_schema


def _text(response) -> str:
    assert response.status_code == 200, response.status_code
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def test_dead_letters_are_explained_and_retried(portal_a, practice_a):
    with in_schema(practice_a):
        KnownPatient.objects.create(nextech_id="p1", given="Dana", family="Reyes")
        op = OutboxOp.objects.create(
            key="k1", patient_id="p1", kind="contact_upsert", payload={},
            state=OutboxOp.State.DEAD, attempts=5,
            last_error="ghl 422 (record): email is invalid")
        unreadable = InboxItem.objects.create(
            resource="Appointment", external_id="a1", version="1", payload={},
            state=InboxItem.State.DEAD, error="unreadable inbox record: no start")
    text = _text(portal_a.get("/failures/"))
    assert "Updating the contact in Aesthetix CRM" in text
    assert "Dana Reyes" in text
    assert "Aesthetix CRM refused a value (for example a malformed email" in text
    assert "ghl 422 (record): email is invalid" in text  # the detail, folded away
    assert "Nextech sent a record AX Connect could not read" in text
    html = portal_a.get("/failures/").content.decode()
    assert html.count(">Retry</button>") == 1  # the unreadable record has nothing to retry

    response = portal_a.post("/failures/retry/", {"source": "outbox", "pk": op.pk}, follow=True)
    assert ("Retry queued: Updating the contact in Aesthetix CRM. It is sent again at the "
            "next sync") in _text(response)
    with in_schema(practice_a):
        op.refresh_from_db()
        unreadable.refresh_from_db()
    # Attempts restart at 1: it was tried before and may have reached the CRM.
    assert (op.state, op.attempts, op.last_error) == ("pending", 1, "")
    assert unreadable.state == "dead"
    assert "Nothing has failed" not in _text(portal_a.get("/failures/"))  # the inbox row


def test_a_dead_inbox_row_with_a_record_is_decided_again(portal_a, practice_a):
    with in_schema(practice_a):
        item = InboxItem.objects.create(
            resource="Appointment", external_id="a2", version="1", payload={"id": "a2"},
            state=InboxItem.State.DEAD, error="Appointment a2 names no patient")
    assert "no patient attached" in _text(portal_a.get("/failures/"))
    portal_a.post("/failures/retry/", {"source": "inbox", "pk": item.pk})
    with in_schema(practice_a):
        item.refresh_from_db()
    assert item.state == "new"
    assert "Nothing has failed" in _text(portal_a.get("/failures/"))


def test_retrying_twice_says_it_was_already_retried(portal_a, practice_a):
    text = _text(portal_a.post("/failures/retry/", {"source": "outbox", "pk": 424242},
                               follow=True))
    assert "already retried or cannot be retried" in text
    assert portal_a.post("/failures/retry/", {"source": "x", "pk": 1}).status_code == 400


def test_the_bill_lists_billable_active_locations_and_the_total(owner_portal_a, practice_a):
    with in_schema(practice_a):
        Location.objects.create(nextech_id="1", name="Buckhead")
        Location.objects.create(nextech_id="2", name="Midtown")
        Location.objects.create(nextech_id="3", name="Storage", billable=False)
        Location.objects.create(nextech_id="4", name="Closed", active=False)
    text = _text(owner_portal_a.get("/bill/"))
    assert f"Bill for {timezone.localdate():%B %Y}" in text
    assert "Buckhead $99.00" in text and "Midtown $99.00" in text
    assert "Storage" not in text and "Closed" not in text
    assert "Total (2 locations × $99.00) $198.00" in text


def test_each_failure_names_and_links_its_patient(portal_a, practice_a):
    GhlCredential.objects.create(practice=practice_a, location_id="loc-77")
    with in_schema(practice_a):
        KnownPatient.objects.create(nextech_id="p2", given="Lee", family="Park")
        InboxItem.objects.create(
            resource="Appointment", external_id="a3", version="1",
            payload={"id": "a3", "patient": {"id": "p2"}}, state=InboxItem.State.DEAD,
            error="patient p2 could not be read from Nextech")
        NxtCreateRequest.objects.create(
            contact_id="c-9", contact_name="Maya Lopez", state=NxtCreateRequest.State.FAILED,
            failed_at=timezone.now(), problems="Date of birth is missing")
    html = portal_a.get("/failures/").content.decode()
    assert '<a class="patient" href="/activity/p2/">Lee Park</a>' in html
    assert '<span class="patient">Maya Lopez</span>' in html
    assert ('href="https://app.gohighlevel.com/v2/location/loc-77/contacts/detail/c-9"'
            in html)
    assert portal_a.get("/activity/p2/").status_code == 200
    assert "/activity/CRM" not in html  # the old link, built from a contact id: a 404


def test_a_retry_says_what_was_queued_and_when_it_runs(portal_a, practice_a):
    with in_schema(practice_a):
        request = NxtCreateRequest.objects.create(
            contact_id="c-9", contact_name="Maya Lopez", state=NxtCreateRequest.State.FAILED,
            failed_at=timezone.now(), problems="Date of birth is missing")
    response = portal_a.post("/failures/retry/", {"source": "nxt_create", "pk": request.pk},
                             follow=True)
    text = _text(response)
    assert ("Retry queued: Creating the patient in Nextech (NXT-Create). The next sync, "
            "every 5 minutes, tries again") in text
    assert "Maya Lopez" not in response.cookies.get("messages", "")  # no name in a cookie
    again = _text(portal_a.post("/failures/retry/", {"source": "nxt_create",
                                                     "pk": request.pk}, follow=True))
    assert "already retried or cannot be retried" in again


def test_a_stage_nobody_mapped_is_explained_as_the_agencys_to_link():
    from integrations.selectors.failures import failure_explain

    assert failure_explain("no GoHighLevel stage is mapped for Consult Booked").startswith(
        "This pipeline stage is not linked to a stage in Aesthetix CRM yet.")
