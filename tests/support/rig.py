"""Both sandboxes in-process on one simulated clock, wired to practice A, for engine tests.

The engine talks to them through the real clients over the real request path
(requests -> WSGI), exactly as it does over HTTP.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

import requests

from integrations.categories import STAGE_LABELS, Category, Stage
from integrations.clock import SimulatedClock
from integrations.ghl.auth import PrivateTokenSource
from integrations.ghl.client import GhlClient
from integrations.ghl.fields import ALL_FIELDS, FieldDefinition, custom_fields_ensure
from integrations.ghl.sandbox import location_create
from integrations.ghl.sandbox import make_app as ghl_make_app
from integrations.ghl.sandbox.signing import SigningKeys
from integrations.models import AppointmentType, CategoryMapping, CrmField, StageMapping
from integrations.nextech.auth import Credentials, PartnerCredentials, SelectCredentials
from integrations.nextech.client import NextechClient
from integrations.nextech.resources import Flavor
from integrations.nextech.sandbox import actions
from integrations.nextech.sandbox.app import make_app as nextech_make_app
from integrations.nextech.sandbox.seed import LOCAL, catalog_seed
from integrations.nextech.sandbox.state import PracticeConfig
from integrations.sandbox_kit.transport import WSGIAdapter

NEXTECH_BASE = "http://nextech.sandbox"
GHL_BASE = "http://ghl.sandbox"
PRACTICE_GUID = "2441c8d4-0000-4000-8000-00000000a1fa"

# The seeded catalog's types, categorised as a practice would confirm them.
SEEDED_CATEGORIES = {
    "1": Category.SURGICAL_CONSULT,
    "2": Category.SURGICAL_APPOINTMENT,
    "3": Category.PRE_OP,
    "4": Category.POST_OP,
    "5": Category.NON_SURGICAL_APPOINTMENT,
    "6": Category.NON_SURGICAL_APPOINTMENT,
    "7": Category.ONLINE,
    "8": Category.BLOCK,
}


@dataclass
class EngineRig:
    clock: SimulatedClock
    keys: SigningKeys
    session: requests.Session = field(default_factory=requests.Session)
    patients_added: int = 0
    flavor: Flavor = "select"  # or "practiceplus": the same rig on a Practice+ practice
    server_version: str = "17.0"  # before 14.3: no lastUpdated, polled by date

    def __post_init__(self) -> None:
        # The sandboxes are mounted in-process: no proxy, netrc or CA bundle from the
        # environment applies, and looking them up on every request is a large share of
        # an in-process request's cost.
        self.session.trust_env = False
        self.nextech_app = nextech_make_app(clock=self.clock)
        self.ghl_app = ghl_make_app(clock=self.clock, keys=self.keys, search_delay_seconds=0)
        self.nextech_adapter = WSGIAdapter(self.nextech_app)
        self.ghl_adapter = WSGIAdapter(self.ghl_app)
        self.session.mount(NEXTECH_BASE, self.nextech_adapter)
        self.session.mount(GHL_BASE, self.ghl_adapter)
        select = self.flavor == "select"
        config = PracticeConfig(
            practice_id=PRACTICE_GUID,
            flavor=self.flavor,
            server_version=self.server_version,
            client_id="rig-client",
            username="rig@nextech-api.com",
            password="rig-password" if select else "",
            partner_id="" if select else "rig-partner",
            partner_secret="" if select else "rig-partner-secret",
            resource="https://select.nextech-api.com/api" if select
            else "https://api.pm.nextech.com/api",
        )
        self.emr = self.nextech_app.state.practice_register(config)
        catalog_seed(self.emr)
        self.nextech = self.nextech_client()
        self.fresh_location()

    def fresh_location(self) -> None:
        """Point the rig at a new, empty CRM location (set it up again with crm_setup)."""
        self.location = location_create(state=self.ghl_app.state, name="Alpha Plastic Surgery")
        self.ghl_token = self.ghl_app.state.token_issue(
            kind="pit", user_type="Location", location_id=self.location.id, ttl_seconds=None
        )
        self.ghl = self.ghl_client()

    # Clients, as the engine gets them --------------------------------------------
    def nextech_client(self) -> NextechClient:
        credentials: Credentials = (
            SelectCredentials(
                client_id="rig-client", username="rig@nextech-api.com", password="rig-password"
            )
            if self.flavor == "select"
            else PartnerCredentials(partner_id="rig-partner", partner_secret="rig-partner-secret")
        )
        return NextechClient(
            base_url=f"{NEXTECH_BASE}/api",
            token_url=f"{NEXTECH_BASE}/nextech-api.com/oauth2/token",
            practice_id=PRACTICE_GUID,
            flavor=self.flavor,
            session=self.session,
            clock=self.clock,
            credentials=credentials,
            server_version=self.server_version,
        )

    def ghl_client(self) -> GhlClient:
        return GhlClient(
            tokens=PrivateTokenSource(token=self.ghl_token, location_id=self.location.id),
            base_url=GHL_BASE,
            session=self.session,
            clock=self.clock,
        )

    # The practice's CRM set-up, as onboarding leaves it -----------------------------
    def crm_setup(self, definitions: Sequence[FieldDefinition] = ALL_FIELDS) -> None:
        fields = custom_fields_ensure(client=self.ghl, definitions=definitions)
        for key, custom_field in fields.items():
            CrmField.objects.update_or_create(
                key=key,
                defaults={
                    "ghl_field_id": custom_field.id,
                    "ghl_field_key": custom_field.field_key,
                    "name": custom_field.name,
                },
            )
        pipelines = {p.name: p for p in self.ghl.pipelines_list()}
        for stage, label in STAGE_LABELS.items():
            pipeline = pipelines[
                "Surgical" if stage.pipeline.value == "surgical" else "Non-Surgical"
            ]
            ghl_stage = pipeline.stage_named(label)
            assert ghl_stage is not None, label
            StageMapping.objects.update_or_create(
                canonical_stage=stage.value,
                defaults={
                    "ghl_pipeline_id": pipeline.id,
                    "ghl_pipeline_name": pipeline.name,
                    "ghl_stage_id": ghl_stage.id,
                    "ghl_stage_name": ghl_stage.name,
                },
            )
        for type_id, category in SEEDED_CATEGORIES.items():
            row = self.emr.appointment_types[type_id]
            known, _ = AppointmentType.objects.get_or_create(
                nextech_id=type_id, defaults={"name": row.name}
            )
            CategoryMapping.objects.update_or_create(
                appointment_type=known,
                purpose=None,
                defaults={"category": category.value, "source": CategoryMapping.Source.CONFIRMED},
            )
        self.ghl.calls = 0

    # Things staff do in Nextech ------------------------------------------------------
    def patient_add(self, given: str = "Dana", family: str = "Reyes", **extra: Any) -> str:
        self.patients_added += 1
        values: dict[str, Any] = {
            "email": f"{given}.{family}@example.com".lower(),
            "phones": {"mobile": f"(404) 555-{100 + self.patients_added:04d}"},
            "birth_date": datetime(1988, 4, 12).date(),
            "patient_status": "Prospect",
        }  # a new lead
        values.update(extra)
        return actions.patient_add(self.emr, given=given, family=family, **values).id

    def book(
        self,
        patient_id: str,
        *,
        type_id: str = "1",
        purpose_ids: list[str] | None = None,
        days_ahead: int = 7,
        status: str = "booked",
        location_id: str = "1",
        start: datetime | None = None,
    ) -> str:
        """A visit `days_ahead` at 10 AM (EST), or at `start` when given."""
        day = self.clock.now().astimezone(LOCAL).date() + timedelta(days=days_ahead)
        return actions.appointment_book(
            self.emr,
            patient_id=patient_id,
            location_id=location_id,
            practitioner_id="101",
            type_id=type_id,
            purpose_ids=purpose_ids or [],
            start=start or datetime.combine(day, time(10), LOCAL),
            status=status,
        ).id

    def set_status(self, appointment_id: str, status: str) -> None:
        actions.appointment_change(self.emr, appointment_id=appointment_id, status=status)

    def pay(self, patient_id: str, total: str) -> str:
        return actions.payment_add(
            self.emr,
            patient_id=patient_id,
            total=Decimal(total),
            location_id="2",
            practitioner_id="103",
        ).id

    def later(self, minutes: float = 5) -> None:
        self.clock.advance(minutes * 60)

    # What the CRM now shows ------------------------------------------------------------
    def crm(self) -> dict[str, Any]:
        response = self.session.get(
            f"{GHL_BASE}/_sandbox/locations/{self.location.id}/state", timeout=5
        )
        assert response.status_code == 200, response.text
        return response.json()

    def contact(self, email: str) -> dict[str, Any]:
        matches = [c for c in self.crm()["contacts"] if c.get("email") == email]
        assert len(matches) == 1, f"expected one contact for {email}, found {len(matches)}"
        contact = matches[0]
        # GoHighLevel field keys read "contact.<key>"; tests speak the engine's keys.
        contact["customFields"] = {
            k.removeprefix("contact."): v for k, v in contact["customFields"].items()
        }
        return contact


def stage_name(stage: Stage) -> str:
    return STAGE_LABELS[stage]
