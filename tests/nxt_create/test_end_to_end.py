"""NXT-Create through the real webhook path, every hop over HTTP: a CRM user tags the
contact in the GoHighLevel sandbox, which signs the webhook and POSTs it to Django; a real
qcluster runs the task, which creates the patient in the Nextech sandbox and answers on
the contact. Rows are committed: the server thread and the qcluster use their own
connections."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from django.core.handlers.wsgi import WSGIHandler
from django.utils import timezone
from django_tenants.utils import schema_context

from integrations.ghl.sandbox import make_app as ghl_make_app
from integrations.ghl.sandbox.signing import SigningKeys
from integrations.ghl.sandbox.state import contact_upsert
from integrations.models import NxtCreateRequest
from integrations.nextech.sandbox.app import make_app as nextech_make_app
from integrations.nextech.sandbox.seed import catalog_seed
from integrations.nextech.sandbox.state import PracticeConfig
from integrations.nxt_create.entry import nxt_create_from_webhook
from integrations.sandbox_kit.transport import BackgroundServer
from tenants.models import WebhookDelivery
from tenants.services import public_tenant_ensure
from tests.support.qcluster import running_qcluster, wait_until
from tests.support.served import practice_served_connect
from tests.tenants.ghl_fixtures import committed_practice, run_at_once

GUID = "e2e0c4a5-0000-4000-8000-00000000e2e0"


@pytest.fixture
def served(django_db_setup, django_db_blocker, settings) -> Iterator[dict[str, Any]]:
    keys = SigningKeys.generate()
    pems = keys.public_pems()
    settings.GHL_WEBHOOK_ED25519_KEYS, settings.GHL_WEBHOOK_RSA_KEYS = pems["ed25519"], pems["rsa"]
    nextech = nextech_make_app()
    emr = nextech.state.practice_register(PracticeConfig(
        practice_id=GUID, flavor="select", server_version="17.0", client_id="e2e-client",
        username="e2e@nextech-api.com", password="e2e-pass", partner_id="", partner_secret="",
        resource="https://select.nextech-api.com/api"))
    catalog_seed(emr)
    ghl = ghl_make_app(keys=keys, search_delay_seconds=0)
    with (django_db_blocker.unblock(), BackgroundServer(nextech) as emr_server,
          BackgroundServer(ghl) as crm_server, BackgroundServer(WSGIHandler()) as web,
          committed_practice("E2E Aesthetics") as practice):
        public_tenant_ensure()  # `localhost` is the public host that receives webhooks
        ghl.state.webhook_url = web.url.replace("127.0.0.1", "localhost") + "/webhooks/ghl/"
        location_id = practice_served_connect(
            practice=practice, nextech_url=emr_server.url, ghl=ghl, ghl_url=crm_server.url,
            practice_guid=GUID, login="e2e")
        yield {"emr": emr, "ghl": ghl, "crm": crm_server.url, "location": location_id,
               "practice": practice}


def test_tagging_in_the_crm_creates_the_patient_in_nextech(served):
    crm, location = served["crm"], served["location"]
    control = f"{crm}/_sandbox/locations/{location}"
    contact = requests.post(f"{control}/contacts", timeout=10, json={
        "firstName": "Noor", "lastName": "Haddad", "email": "noor.haddad@example.com",
        "phone": "+1 404 555 0166", "dateOfBirth": "1985-09-30", "postalCode": "30305"})
    assert contact.status_code == 201, contact.text
    contact_id = contact.json()["contact"]["id"]

    def crm_contact() -> dict[str, Any]:
        state = requests.get(f"{control}/state", timeout=10).json()
        return next(c for c in state["contacts"] if c["id"] == contact_id)

    def patients() -> list[Any]:
        return [p for p in served["emr"].patients.values() if p.family == "Haddad"]

    with running_qcluster() as output:
        tagged = time.monotonic()
        answer = requests.post(f"{control}/contacts/{contact_id}/tags", timeout=10,
                               json={"tags": ["NXT-Create"]})
        assert answer.status_code == 200, answer.text
        wait_until(lambda: "NXT-Created" in crm_contact()["tags"], seconds=30,
                   describe=lambda: f"{crm_contact()['tags']}\n{output()[-3000:]}")
        latency = time.monotonic() - tagged

    deliveries = served["ghl"].state.deliveries
    assert [d["status"] for d in deliveries if d["type"] == "ContactTagUpdate"] == [200]
    assert WebhookDelivery.objects.get(contact_id=contact_id,
                                       event_type="ContactTagUpdate").processed_at
    (patient,) = patients()
    assert (patient.given, patient.email, patient.postal_code) == (
        "Noor", "noor.haddad@example.com", "30305")
    final = crm_contact()
    assert final["customFields"]["contact.nxt_patient_id"] == patient.id
    assert "NXT-Create" not in final["tags"]
    assert any(f"NXT Patient ID {patient.id}" in n["body"] for n in final["notes"])
    with schema_context(served["practice"].schema_name):
        request = NxtCreateRequest.objects.get(contact_id=contact_id)
    assert request.state == NxtCreateRequest.State.CREATED and request.nextech_id == patient.id
    assert request.created_at >= request.tagged_at
    assert latency < 30  # the spec promises 1 to 2 minutes


def test_concurrent_deliveries_create_one_patient(served):
    """Three workers handle three ContactTagUpdate deliveries of one contact at once: the
    request row's lock lets one create the patient; the others find it done."""
    practice = served["practice"]
    sandbox_location = served["ghl"].state.locations[served["location"]]
    contact, _ = contact_upsert(state=served["ghl"].state, location=sandbox_location, body={
        "firstName": "Iris", "lastName": "Moreau", "email": "iris.moreau@example.com",
        "phone": "+1 404 555 0155", "dateOfBirth": "1979-03-08", "postalCode": "30306",
        "tags": ["NXT-Create"]})  # straight into the sandbox: no webhook of its own
    contact_id = contact.id

    def deliver() -> str:
        with schema_context(practice.schema_name):
            return nxt_create_from_webhook(practice=practice, contact_id=contact_id,
                                           tagged_at=timezone.now())

    outcomes, errors = run_at_once(deliver, workers=3)

    assert errors == []
    # The others found the tag gone, or wrote the winner's answer to the CRM for it.
    assert sorted(outcomes)[0] == "created" and set(sorted(outcomes)[1:]) <= {"stale", "writing"}
    assert len([p for p in served["emr"].patients.values() if p.family == "Moreau"]) == 1
    assert len([n for n in sandbox_location.notes if n["contactId"] == contact_id]) == 1
