"""Webhook verification: only genuine, fresh, first deliveries get through.

Deliveries come from the sandbox itself (a CRM user tagging a contact), signed with
its own keys exactly as GoHighLevel signs."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from datetime import timedelta

import pytest
import requests

from integrations.clock import SimulatedClock
from integrations.ghl.client import ContactInput, GhlClient
from integrations.ghl.sandbox import GhlSandbox
from integrations.ghl.sandbox.signing import SigningKeys
from integrations.ghl.webhooks import (
    GHL_ED25519_PUBLIC_KEY_PEM,
    GHL_RSA_PUBLIC_KEY_PEM,
    AppEvent,
    ContactEvent,
    WebhookKeys,
    WebhookRejected,
    webhook_verify,
)
from tests.ghl.conftest import control

Delivery = tuple[bytes, dict[str, str]]


@pytest.fixture
def inbox(sandbox: GhlSandbox) -> list[Delivery]:
    received: list[Delivery] = []

    def receive(url: str, body: bytes, headers: Mapping[str, str]) -> int:
        received.append((body, dict(headers)))
        return 200

    sandbox.webhook_sender = receive
    sandbox.state.webhook_url = "https://admin.example.test/ghl/webhook"
    return received


@pytest.fixture
def delivery(client: GhlClient, session: requests.Session, location_id: str,
             inbox: list[Delivery]) -> Delivery:
    """Staff add NXT-Create to a contact in the CRM."""
    contact = client.contact_upsert(contact=ContactInput(email="new@example.com")).contact
    control(session, "POST", f"/locations/{location_id}/contacts/{contact.id}/tags",
            json={"tags": ["NXT-Create"]})
    assert len(inbox) == 1
    return inbox[0]


class Seen:
    def __init__(self) -> None:
        self.ids: set[str] = set()

    def __call__(self, webhook_id: str) -> bool:
        if webhook_id in self.ids:
            return True
        self.ids.add(webhook_id)
        return False


def _verify(body: bytes, headers: Mapping[str, str], keys: WebhookKeys, clock: SimulatedClock,
            seen: Seen) -> object:
    return webhook_verify(body=body, headers=headers, keys=keys, now=clock.now(), seen=seen)


def test_a_valid_ed25519_delivery_is_accepted_once(delivery: Delivery,
                                                   signing_keys: SigningKeys,
                                                   clock: SimulatedClock,
                                                   location_id: str) -> None:
    body, headers = delivery
    seen = Seen()
    event = _verify(body, headers, signing_keys.verifying_keys(), clock, seen)

    assert isinstance(event, ContactEvent)
    assert (event.type, event.location_id, event.tags) == ("ContactTagUpdate", location_id,
                                                           ("NXT-Create",))
    with pytest.raises(WebhookRejected, match="replayed"):
        _verify(body, headers, signing_keys.verifying_keys(), clock, seen)


def test_the_legacy_rsa_signature_is_accepted_when_it_is_the_only_one(
        delivery: Delivery, signing_keys: SigningKeys, clock: SimulatedClock) -> None:
    body, headers = delivery
    legacy = {"x-wh-signature": headers["X-WH-Signature"]}
    event = _verify(body, legacy, signing_keys.verifying_keys(), clock, Seen())
    assert isinstance(event, ContactEvent) and event.contact_id


def test_a_forged_body_is_rejected_and_does_not_burn_the_webhook_id(
        delivery: Delivery, signing_keys: SigningKeys, clock: SimulatedClock) -> None:
    body, headers = delivery
    forged = body.replace(b"NXT-Create", b"NXT-Delete")
    seen = Seen()
    with pytest.raises(WebhookRejected, match="X-GHL-Signature"):
        _verify(forged, headers, signing_keys.verifying_keys(), clock, seen)
    with pytest.raises(WebhookRejected, match="X-WH-Signature"):
        _verify(forged, {"X-WH-Signature": headers["X-WH-Signature"]},
                signing_keys.verifying_keys(), clock, seen)
    assert seen.ids == set()
    assert _verify(body, headers, signing_keys.verifying_keys(), clock, seen)


def test_a_signature_from_another_key_is_rejected(delivery: Delivery,
                                                  clock: SimulatedClock) -> None:
    body, headers = delivery
    real_ghl = WebhookKeys(ed25519_pems=(GHL_ED25519_PUBLIC_KEY_PEM,),
                           rsa_pems=(GHL_RSA_PUBLIC_KEY_PEM,))
    with pytest.raises(WebhookRejected):
        _verify(body, headers, real_ghl, clock, Seen())


def test_an_unsigned_delivery_is_rejected_not_waved_through(delivery: Delivery,
                                                            signing_keys: SigningKeys,
                                                            clock: SimulatedClock) -> None:
    body, _ = delivery
    with pytest.raises(WebhookRejected, match="no signature"):
        _verify(body, {"Content-Type": "application/json"}, signing_keys.verifying_keys(),
                clock, Seen())


def test_a_stale_delivery_is_rejected(delivery: Delivery, signing_keys: SigningKeys,
                                      clock: SimulatedClock) -> None:
    body, headers = delivery
    clock.advance(timedelta(minutes=6).total_seconds())
    with pytest.raises(WebhookRejected, match="stale"):
        _verify(body, headers, signing_keys.verifying_keys(), clock, Seen())


def test_install_events_parse(signing_keys: SigningKeys, clock: SimulatedClock) -> None:
    payload = {"type": "INSTALL", "appId": "app1", "locationId": "loc1", "companyId": "co1",
               "userId": "u1", "timestamp": clock.now().isoformat(), "webhookId": "w-1"}
    body = json.dumps(payload).encode()
    signature = base64.b64encode(signing_keys.ed25519_key.sign(body)).decode()
    event = _verify(body, {"X-GHL-Signature": signature}, signing_keys.verifying_keys(), clock,
                    Seen())
    assert event == AppEvent(type="AppInstall", app_id="app1", location_id="loc1",
                             company_id="co1", user_id="u1", webhook_id="w-1",
                             timestamp=clock.now())


def test_removing_a_tag_sends_the_full_remaining_list(client: GhlClient,
                                                      session: requests.Session,
                                                      location_id: str,
                                                      inbox: list[Delivery]) -> None:
    contact = client.contact_upsert(contact=ContactInput(email="rm@example.com")).contact
    path = f"/locations/{location_id}/contacts/{contact.id}/tags"
    control(session, "POST", path, json={"tags": ["a", "NXT-Create"]})
    control(session, "DELETE", path, json={"tags": ["a"]})
    assert json.loads(inbox[-1][0])["tags"] == ["NXT-Create"]
    deliveries = control(session, "GET", "/webhook")["deliveries"]
    assert [d["status"] for d in deliveries] == [200, 200]
