from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from integrations.clock import SimulatedClock
from integrations.ghl.sandbox.signing import SigningKeys
from integrations.nextech.sandbox import actions
from integrations.nxt_create.service import Clients, Outcome, nxt_create_process
from tests.support.rig import GHL_BASE, EngineRig

FRONT_DESK = {  # what the front desk typed into the CRM contact
    "firstName": "Maya", "lastName": "Lopez", "email": "maya.lopez@example.com",
    "phone": "+1 404 555 0177", "dateOfBirth": "1990-06-15", "postalCode": "30301",
}


@pytest.fixture(scope="session")
def signing_keys() -> SigningKeys:
    return SigningKeys.generate()


class NxtRig(EngineRig):
    """The engine rig plus what NXT-Create needs: CRM contacts made and tagged by staff."""

    def clients(self) -> Clients:
        return Clients(nextech=self.nextech, ghl=self.ghl, clock=self.clock)

    def contact_add(self, **fields: Any) -> str:
        body = {**FRONT_DESK, **fields}
        body = {k: v for k, v in body.items() if v is not None}
        response = self.session.post(
            f"{GHL_BASE}/_sandbox/locations/{self.location.id}/contacts", json=body, timeout=5)
        assert response.status_code == 201, response.text
        return str(response.json()["contact"]["id"])

    def tag(self, contact_id: str, tag: str = "NXT-Create") -> None:
        """A CRM user adds the tag (the sandbox has no webhook URL here: the webhook is lost)."""
        response = self.session.post(
            f"{GHL_BASE}/_sandbox/locations/{self.location.id}/contacts/{contact_id}/tags",
            json={"tags": [tag]}, timeout=5)
        assert response.status_code == 200, response.text

    def process(self, practice: Any, contact_id: str) -> Outcome:
        """What the webhook task does for a ContactTagUpdate carrying NXT-Create."""
        return nxt_create_process(practice=practice, contact_id=contact_id,
                                  clients=self.clients(), tagged_at=self.clock.now())

    def by_id(self, contact_id: str) -> dict[str, Any]:
        (contact,) = [c for c in self.crm()["contacts"] if c["id"] == contact_id]
        contact["customFields"] = {k.removeprefix("contact."): v
                                   for k, v in contact["customFields"].items()}
        return contact

    def emr_patients(self, family: str = "Lopez") -> list[Any]:
        return [p for p in self.emr.patients.values() if p.family == family]

    def emr_patient_add(self, **changes: Any) -> str:
        values: dict[str, Any] = {
            "given": "Maya", "family": "Lopez", "email": "maya.lopez@example.com",
            "phones": {"mobile": "(404) 555-0177"}, "birth_date": date(1990, 6, 15),
            "postal_code": "30301", "check_duplicate": False}
        values.update(changes)
        return actions.patient_add(self.emr, **values).id


@pytest.fixture
def rig(in_practice, signing_keys) -> NxtRig:
    rig = NxtRig(clock=SimulatedClock(), keys=signing_keys)
    rig.crm_setup()
    return rig
