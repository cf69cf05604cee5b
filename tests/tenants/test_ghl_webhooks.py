"""GoHighLevel webhooks at POST /webhooks/ghl/: a genuine, fresh, first delivery is
recorded once and queued; forged, stale, replayed or unknown ones are turned away."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django_q.models import OrmQ
from django_tenants.utils import schema_context

from integrations.ghl.sandbox import GhlSandbox
from integrations.ghl.sandbox.signing import SigningKeys, webhook_body
from integrations.ghl.sandbox.state import contact_upsert, iso
from integrations.models import SyncLog
from integrations.sandbox_kit.transport import in_process_session
from integrations.webhook_tasks import ghl_webhook_process
from tenants.models import WebhookDelivery
from tests.tenants.ghl_fixtures import (
    BASE,
    committed_practice,
    credential_point,
    run_at_once,
    sandbox_location,
    sandbox_make,
)

URL = "/webhooks/ghl/"
TASK = "integrations.webhook_tasks.ghl_webhook_process"
PATIENT = {"email": "Jane.Roe@Example.com", "phone": "+15125550142", "firstName": "Jane",
           "lastName": "Roe"}


@pytest.fixture(scope="module")
def keys() -> SigningKeys:
    return SigningKeys.generate()


def _post(client: Client, body: bytes, headers: dict[str, str]):
    return client.post(URL, data=body, content_type="application/json", headers=headers)


@dataclass
class Hooked:
    """A sandbox whose webhooks go to Django's test client, and what it sent."""

    sandbox: GhlSandbox
    keys: SigningKeys
    location_id: str
    contact_id: str
    client: Client = field(default_factory=lambda: Client(HTTP_HOST="localhost"))
    sent: list[tuple[bytes, dict[str, str]]] = field(default_factory=list)

    def tag_add(self, tag: str) -> None:
        """A CRM user tags the contact; the sandbox signs and delivers the webhook."""
        session = in_process_session(self.sandbox, BASE)
        response = session.post(f"{BASE}/_sandbox/locations/{self.location_id}/contacts/"
                                f"{self.contact_id}/tags", json={"tags": [tag]}, timeout=5)
        assert response.status_code == 200, response.text

    def signed(self, payload: dict) -> tuple[bytes, dict[str, str]]:
        body = webhook_body(self.sandbox.state, payload)  # fresh timestamp, new webhookId
        return body, self.keys.sign(body)


def _webhook_keys_use(settings, keys: SigningKeys) -> None:
    pems = keys.public_pems()
    settings.GHL_WEBHOOK_ED25519_KEYS = pems["ed25519"]
    settings.GHL_WEBHOOK_RSA_KEYS = pems["rsa"].replace("\n", "\\n")  # one-line env form


@pytest.fixture
def hooked(practice_a, settings, keys) -> Hooked:
    _webhook_keys_use(settings, keys)
    holder: list[Hooked] = []

    def deliver(url: str, body: bytes, headers) -> int:
        holder[0].sent.append((body, dict(headers)))
        return _post(holder[0].client, body, dict(headers)).status_code

    sandbox = sandbox_make(keys=keys, webhook_url=f"http://localhost{URL}",
                           webhook_sender=deliver)
    location_id = sandbox_location(sandbox)
    credential_point(practice=practice_a, base=BASE, location_id=location_id)
    contact, _ = contact_upsert(state=sandbox.state, location=sandbox.state.locations[location_id],
                                body={"locationId": location_id, **PATIENT})
    holder.append(Hooked(sandbox=sandbox, keys=keys, location_id=location_id,
                         contact_id=contact.id))
    return holder[0]


def _tasks(schema_name: str = "p_alpha") -> list[tuple[str, list]]:
    """The processing tasks queued for one practice."""
    return [(q.func(), list(q.args())) for q in OrmQ.objects.all()
            if q.func() == TASK and q.args()[0] == schema_name]


def test_valid_webhook_is_accepted_recorded_once_and_queued_without_phi(
    hooked, practice_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        hooked.tag_add("NXT-Create")

    assert [d["status"] for d in hooked.sandbox.state.deliveries] == [200]
    delivery = WebhookDelivery.objects.get()
    assert (delivery.practice_id, delivery.event_type, delivery.contact_id) == (
        practice_a.pk, "ContactTagUpdate", hooked.contact_id)
    assert delivery.tags == ["NXT-Create"] and delivery.signature_scheme == "ed25519"
    stored = json.dumps([getattr(delivery, f.attname) for f in WebhookDelivery._meta.fields],
                        default=str)
    assert not any(value in stored for value in PATIENT.values())
    assert _tasks() == [(TASK, ["p_alpha", delivery.pk])]


def test_replayed_webhook_is_rejected_and_recorded_once(
    hooked, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        hooked.tag_add("NXT-Create")
        body, headers = hooked.sent[0]
        replay = _post(hooked.client, body, headers)

    assert replay.status_code == 409
    assert replay.json() == {"error": "replayed webhookId"}
    assert WebhookDelivery.objects.count() == 1
    assert len(_tasks()) == 1


def test_forged_webhooks_are_rejected_with_401(hooked):
    body, headers = hooked.signed({"type": "ContactTagUpdate", "locationId": hooked.location_id,
                                   "id": hooked.contact_id, "tags": ["NXT-Create"]})
    tampered = body.replace(b"NXT-Create", b"NXT-Delete")
    impostor = SigningKeys.generate().sign(body)

    answers = [_post(hooked.client, tampered, headers),
               _post(hooked.client, body, impostor),
               _post(hooked.client, body, {})]

    assert [a.status_code for a in answers] == [401, 401, 401]
    assert answers[2].json() == {"error": "no signature header"}
    assert not WebhookDelivery.objects.exists()


def test_legacy_rsa_signature_alone_is_accepted(hooked):
    body, headers = hooked.signed({"type": "ContactTagUpdate", "locationId": hooked.location_id,
                                   "id": hooked.contact_id, "tags": ["VIP"]})
    del headers["X-GHL-Signature"]

    assert _post(hooked.client, body, headers).status_code == 200
    assert WebhookDelivery.objects.get().signature_scheme == "rsa"


def test_stale_webhook_is_rejected_and_not_recorded(hooked):
    old = timezone.now() - timedelta(minutes=10)
    body = json.dumps({"type": "ContactTagUpdate", "locationId": hooked.location_id,
                       "id": hooked.contact_id, "tags": ["NXT-Create"], "timestamp": iso(old),
                       "webhookId": "stale-webhook-0001"}).encode()

    answer = _post(hooked.client, body, hooked.keys.sign(body))

    assert answer.status_code == 400 and answer.json() == {"error": "stale timestamp"}
    assert not WebhookDelivery.objects.exists()


def test_unknown_location_is_404_without_details(hooked):
    body, headers = hooked.signed({"type": "ContactTagUpdate", "locationId": "notOurLocation01",
                                   "id": hooked.contact_id, "tags": []})

    answer = _post(hooked.client, body, headers)

    assert answer.status_code == 404 and answer.content == b""


def test_processing_writes_one_sync_log_entry_in_the_practice(hooked, practice_a):
    hooked.tag_add("NXT-Create")
    delivery = WebhookDelivery.objects.get()

    first = ghl_webhook_process("p_alpha", delivery.pk)
    second = ghl_webhook_process("p_alpha", delivery.pk)

    assert first["event"] == "ContactTagUpdate" and "skipped" in second
    with schema_context("p_alpha"):
        log = SyncLog.objects.get(kind="webhook")
    assert log.contact_ref == hooked.contact_id and log.details["tags"] == ["NXT-Create"]


def test_app_uninstall_asks_staff_to_reconnect(hooked, practice_a):
    body, headers = hooked.signed({"type": "UNINSTALL", "appId": "sandbox",
                                   "locationId": hooked.location_id,
                                   "companyId": "sandboxCompany0000001"})
    assert _post(hooked.client, body, headers).status_code == 200

    ghl_webhook_process("p_alpha", WebhookDelivery.objects.get().pk)

    practice_a.refresh_from_db()
    assert (practice_a.status, practice_a.status_reason) == (
        "needs_attention", "reconnect GoHighLevel")


def test_concurrent_deliveries_of_one_webhook_pass_once(django_db_setup, django_db_blocker, keys,
                                                        settings):
    _webhook_keys_use(settings, keys)
    sandbox = sandbox_make(keys=keys)
    location_id = sandbox_location(sandbox)
    body = webhook_body(sandbox.state, {"type": "ContactTagUpdate", "locationId": location_id,
                                        "id": "contact0000000000001", "tags": ["NXT-Create"]})
    headers = keys.sign(body)
    # Each request runs on its own connection, so the credential must be committed.
    with django_db_blocker.unblock(), committed_practice("Webhook Race Clinic") as practice:
        credential_point(practice=practice, base=BASE, location_id=location_id)
        try:
            statuses, errors = run_at_once(
                lambda: _post(Client(HTTP_HOST="localhost"), body, headers).status_code,
                workers=6)

            assert errors == [] and sorted(statuses) == [200, 409, 409, 409, 409, 409]
            assert WebhookDelivery.objects.filter(practice=practice).count() == 1
            delivery = WebhookDelivery.objects.get(practice=practice)
            assert _tasks(practice.schema_name) == [(TASK, [practice.schema_name, delivery.pk])]
        finally:
            for queued in OrmQ.objects.all():
                if queued.func() == TASK and queued.args()[0] == practice.schema_name:
                    queued.delete()


def test_another_apps_uninstall_changes_nothing(hooked, practice_a):
    """HighLevel signs every vendor's app events; another app leaving says nothing of ours."""
    body, headers = hooked.signed({"type": "UNINSTALL", "appId": "someoneelsesapp",
                                   "locationId": hooked.location_id,
                                   "companyId": "sandboxCompany0000001"})

    answer = _post(hooked.client, body, headers)

    assert (answer.status_code, answer.json()) == (400, {"error": "event for another app"})
    assert not WebhookDelivery.objects.exists()
    practice_a.refresh_from_db()
    assert practice_a.status == "active"


def _stamped(hooked: Hooked, **fields) -> dict:
    """A ContactTagUpdate as HighLevel would send it, with `fields` replaced."""
    return {"type": "ContactTagUpdate", "locationId": hooked.location_id,
            "id": hooked.contact_id, "tags": ["NXT-Create"], "timestamp": iso(timezone.now()),
            "webhookId": "0b9c7e4a-5d1f-4c3e-9a2b-1f0e8d7c6b5a", **fields}


HOSTILE = {
    "deeply nested JSON": lambda h: (b'{"a":' * 100_000) + b"1" + (b"}" * 100_000),
    "a JSON array": lambda h: b"[1, 2, 3]",
    "a JSON string": lambda h: b'"hello"',
    "not JSON": lambda h: b"\xff\xfe not json",
    "an over-long webhookId": lambda h: json.dumps(_stamped(h, webhookId="w" * 5000)).encode(),
    "an over-long contact id": lambda h: json.dumps(_stamped(h, id="c" * 5000)).encode(),
    "an over-long type": lambda h: json.dumps(_stamped(h, type="T" * 500)).encode(),
    "a garbage timestamp": lambda h: json.dumps(_stamped(h, timestamp="yesterday-ish")).encode(),
    "a numeric timestamp": lambda h: json.dumps(_stamped(h, timestamp=1733220000)).encode(),
    "tags that are not a list": lambda h: json.dumps(_stamped(h, tags=7)).encode(),
    "tags that are objects": lambda h: json.dumps(_stamped(h, tags=[{"x": 1}])).encode(),
    "custom fields that are not a list": lambda h: json.dumps(
        _stamped(h, customFields=5)).encode(),
    "a webhookId that is an object": lambda h: json.dumps(
        _stamped(h, webhookId={"a": 1})).encode(),
    "a garbage birth date is not fatal, but an object id is": lambda h: json.dumps(
        _stamped(h, dateOfBirth="not-a-date", id=["x"])).encode(),
}


@pytest.mark.parametrize("signed", [False, True], ids=["unsigned", "signed"])
@pytest.mark.parametrize("make", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_bodies_answer_400_before_and_after_the_signature_check(hooked, make, signed):
    body = make(hooked)
    headers = hooked.keys.sign(body) if signed else {"X-GHL-Signature": "bm90IGEgc2lnbmF0dXJl"}

    answer = _post(hooked.client, body, headers)

    assert answer.status_code == 400, answer.content
    assert not WebhookDelivery.objects.exists()


def test_a_garbage_birth_date_alone_does_not_turn_a_delivery_away(hooked):
    body = json.dumps(_stamped(hooked, dateOfBirth="not-a-date")).encode()

    assert _post(hooked.client, body, hooked.keys.sign(body)).status_code == 200


def test_the_limits_fit_what_is_stored():
    from integrations.ghl.webhooks import ID_MAX_LENGTH, TYPE_MAX_LENGTH

    fields = {f.name: f for f in WebhookDelivery._meta.fields}
    assert fields["webhook_id"].max_length >= ID_MAX_LENGTH
    assert fields["contact_id"].max_length >= ID_MAX_LENGTH
    assert fields["event_type"].max_length >= TYPE_MAX_LENGTH
