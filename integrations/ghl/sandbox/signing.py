"""The sandbox's own webhook keys, signing exactly as GoHighLevel does (raw body,
Ed25519 in X-GHL-Signature, RSA-SHA256 PKCS#1 v1.5 in X-WH-Signature), and delivery."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from integrations.ghl.sandbox.state import SandboxState, iso, new_id
from integrations.ghl.webhooks import WebhookKeys

log = logging.getLogger(__name__)

# (url, raw body, headers) -> HTTP status; injectable so tests deliver in-process.
WebhookSender = Callable[[str, bytes, Mapping[str, str]], int]


def _public_pem(key: ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey) -> str:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


@dataclass(frozen=True)
class SigningKeys:
    ed25519_key: ed25519.Ed25519PrivateKey
    rsa_key: rsa.RSAPrivateKey

    @classmethod
    def generate(cls) -> SigningKeys:
        # 2048 bits keeps start-up fast; GoHighLevel's own RSA key is 4096.
        return cls(ed25519.Ed25519PrivateKey.generate(),
                   rsa.generate_private_key(public_exponent=65537, key_size=2048))

    def public_pems(self) -> dict[str, str]:
        return {"ed25519": _public_pem(self.ed25519_key), "rsa": _public_pem(self.rsa_key)}

    def verifying_keys(self) -> WebhookKeys:
        pems = self.public_pems()
        return WebhookKeys(ed25519_pems=(pems["ed25519"],), rsa_pems=(pems["rsa"],))

    def sign(self, body: bytes) -> dict[str, str]:
        ed = self.ed25519_key.sign(body)
        wh = self.rsa_key.sign(body, padding.PKCS1v15(), hashes.SHA256())
        return {"X-GHL-Signature": base64.b64encode(ed).decode(),
                "X-WH-Signature": base64.b64encode(wh).decode()}


def webhook_body(state: SandboxState, payload: Mapping[str, Any]) -> bytes:
    """The raw body: the event plus the `timestamp` and `webhookId` replay defence uses."""
    stamped = {**payload, "timestamp": iso(state.clock.now()), "webhookId": new_id(24)}
    return json.dumps(stamped, separators=(",", ":")).encode()


def webhook_send_default(url: str, body: bytes, headers: Mapping[str, str]) -> int:
    response = requests.post(url, data=body, headers={**headers,
                                                      "Content-Type": "application/json"},
                             timeout=(5.0, 10.0))
    return response.status_code


def webhooks_flush(*, state: SandboxState, keys: SigningKeys, sender: WebhookSender) -> None:
    """Send queued events, outside the state lock (a receiver may call the sandbox back).

    Like GoHighLevel, only a 429 would be retried; everything else is recorded once.
    """
    with state.lock:
        queued, state.outbox = state.outbox, []
        url = state.webhook_url
    for payload in queued:
        body = webhook_body(state, payload)
        record: dict[str, Any] = {"type": payload.get("type"), "url": url,
                                  "body": json.loads(body), "status": None}
        if url:
            try:
                record["status"] = sender(url, body, keys.sign(body))
            except requests.RequestException as exc:
                record["status"] = type(exc).__name__
                log.info("sandbox webhook to %s failed: %s", url, type(exc).__name__)
        with state.lock:
            state.deliveries.append(record)
