"""The demo: both sandboxes served over HTTP, a demo practice wired to them, an agency user
and a portal user. `make demo` and `manage.py demo --once` run it.

The sandboxes keep their state in memory, so the demo practice is recreated on each start:
what the CRM shows always matches the sandbox's Nextech week.
"""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass, replace
from typing import Any

import requests
from django.conf import settings
from django.contrib.auth.models import User
from django.utils import timezone
from django_tenants.utils import schema_context

from axconnect.env import local_secret
from integrations.category_review import suggestions_confirm_all
from integrations.ghl.sandbox import GhlSandbox
from integrations.ghl.sandbox import make_app as ghl_make_app
from integrations.ghl.sandbox.seed import seed_demo_location
from integrations.nextech.sandbox.app import NextechSandbox
from integrations.nextech.sandbox.app import make_app as nextech_make_app
from integrations.nextech.sandbox.seed import seed_demo_week
from integrations.nextech.sandbox.state import PracticeConfig
from integrations.onboarding.setup import practice_crm_setup, summary_as_dict
from integrations.sandbox_kit.transport import BackgroundServer
from tenants.models import GhlCredential, Membership, NextechCredential, Practice
from tenants.services import membership_grant, practice_create, public_tenant_ensure

log = logging.getLogger(__name__)

DEMO_SLUG = "demo"
DEMO_PRACTICE_GUID = "d3e0a000-0000-4000-8000-00000000de50"
DEMO_CLIENT_ID = "demo-application-id"
DEMO_USERNAME = "demo.integration@nextech-api.com"
DEMO_PASSWORD = "demo-nextech-password"  # noqa: S105 - the sandbox's own demo credential
DEMO_RESOURCE = "https://select.nextech-api.com/api"
AGENCY_USERNAME = "agency"
PORTAL_USERNAME = "frontdesk"


@dataclass
class DemoSandboxes:
    nextech: NextechSandbox
    ghl: GhlSandbox
    nextech_server: BackgroundServer
    ghl_server: BackgroundServer
    ghl_location_id: str
    ghl_private_token: str

    def stop(self) -> None:
        self.nextech_server.stop()
        self.ghl_server.stop()

    def webhook_keys_env(self) -> dict[str, str]:
        pems = self.ghl.state.webhook_public_pems
        return {"GHL_WEBHOOK_ED25519_KEYS": pems.get("ed25519", ""),
                "GHL_WEBHOOK_RSA_KEYS": pems.get("rsa", "")}


def demo_sandboxes_start(*, nextech_port: int = 0, ghl_port: int = 0,
                         webhook_url: str | None = None) -> DemoSandboxes:
    """Serve both sandboxes on 127.0.0.1, seeded with the demo week and location."""
    nextech = nextech_make_app()
    emr = nextech.state.practice_register(PracticeConfig(
        practice_id=DEMO_PRACTICE_GUID, flavor="select", server_version="17.0",
        client_id=DEMO_CLIENT_ID, username=DEMO_USERNAME, password=DEMO_PASSWORD,
        partner_id="", partner_secret="", resource=DEMO_RESOURCE))
    seed_demo_week(emr)
    ghl = ghl_make_app(webhook_url=webhook_url, search_delay_seconds=2)
    location = seed_demo_location(state=ghl.state)
    token = ghl.state.token_issue(kind="pit", user_type="Location", location_id=location.id,
                                  ttl_seconds=None)
    return DemoSandboxes(
        nextech=nextech, ghl=ghl,
        nextech_server=BackgroundServer(nextech, port=nextech_port).start(),
        ghl_server=BackgroundServer(ghl, port=ghl_port).start(),
        ghl_location_id=location.id, ghl_private_token=token,
    )


def demo_urls_env(*, nextech_url: str, ghl_url: str) -> dict[str, str]:
    """Settings that aim every new practice's credentials at the sandboxes (see settings)."""
    return {"NEXTECH_API_URL": f"{nextech_url}/api",
            "NEXTECH_TOKEN_URL": f"{nextech_url}/nextech-api.com/oauth2/token",
            "GHL_API_URL": ghl_url, "GHL_AUTHORIZE_URL": f"{ghl_url}/v2/oauth/chooselocation",
            "GHL_TOKEN_URL": f"{ghl_url}/oauth/token"}


@dataclass(frozen=True)
class SandboxPractice:
    """What staff type to onboard a practice the sandboxes hold (`demo --add-practice`)."""

    name: str
    practice_guid: str
    client_id: str
    username: str
    password: str
    resource: str
    ghl_location_id: str

    def lines(self) -> list[str]:
        return [f"Sandbox practice {self.name!r} added. In the agency admin, add a practice, then:",
                f"  Nextech practice id: {self.practice_guid}",
                f"  Application (client) id: {self.client_id}",
                f"  Resource: {self.resource}",
                f"  Username: {self.username}",
                f"  Password: {self.password}",
                f"  Connect GoHighLevel: choose the sub-account {self.name!r} "
                f"({self.ghl_location_id})"]


def sandbox_practice_for(name: str) -> tuple[str, str]:
    """The practice id and API user name a sandbox practice called `name` gets: the same
    name gives the same ones, so the README's steps can be repeated."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "practice"
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"axconnect-demo:{slug}")), \
        f"{slug}.integration@nextech-api.com"


def demo_practice_add(*, name: str, nextech_url: str, ghl_url: str,
                      session: requests.Session | None = None) -> SandboxPractice:
    """A second practice in the running demo's sandboxes, over their control API: a Nextech
    practice with its own demo week and a GoHighLevel sub-account named `name`."""
    http = session or requests.Session()
    guid, username = sandbox_practice_for(name)
    practice = SandboxPractice(name=name, practice_guid=guid, client_id=DEMO_CLIENT_ID,
                               username=username, password=DEMO_PASSWORD,
                               resource=DEMO_RESOURCE, ghl_location_id="")
    # Adding the same name again finds what the first run made instead of resetting it.
    if http.get(f"{nextech_url}/_sandbox/practices/{guid}", timeout=10).status_code == 404:
        http.post(f"{nextech_url}/_sandbox/practices", timeout=10, json={
            "practice_id": guid, "flavor": "select", "client_id": practice.client_id,
            "username": username, "password": practice.password,
            "resource": practice.resource}).raise_for_status()
        http.post(f"{nextech_url}/_sandbox/practices/{guid}/seed-demo-week", timeout=30,
                  json={}).raise_for_status()
    listed = http.get(f"{ghl_url}/_sandbox/locations", timeout=10)
    listed.raise_for_status()
    location_id = next((loc["id"] for loc in listed.json()["locations"] if loc["name"] == name),
                       None)
    if location_id is None:
        created = http.post(f"{ghl_url}/_sandbox/locations", json={"name": name}, timeout=10)
        created.raise_for_status()
        location_id = created.json()["location"]["id"]
    return replace(practice, ghl_location_id=location_id)


def demo_practice_reset(*, sandboxes: DemoSandboxes) -> Practice:
    """Recreate the demo practice, wired to the sandboxes and set up as onboarding would."""
    public_tenant_ensure()
    old = Practice.objects.filter(slug=DEMO_SLUG).first()
    if old is not None:
        old.delete(force_drop=True)
    practice = practice_create(practice=Practice(
        name="Aurora Plastic Surgery & MedSpa", slug=DEMO_SLUG,
        practice_type=Practice.Kind.SURGICAL_AND_MEDSPA, time_zone="America/New_York",
        country="US", status=Practice.Status.ACTIVE, poll_interval_minutes=1,
        # Open around the clock, so the demo polls every minute whenever it is run.
        opening_hours="Mon-Sun 00:00-24:00",
        # On for the demo to show lifetime value; the admin warns surgical practices.
        payments_enabled=True, payments_decided_at=timezone.now(),
    ))
    practice_sandboxes_connect(
        practice=practice, nextech_url=sandboxes.nextech_server.url,
        practice_guid=DEMO_PRACTICE_GUID, client_id=DEMO_CLIENT_ID, username=DEMO_USERNAME,
        password=DEMO_PASSWORD, ghl_url=sandboxes.ghl_server.url,
        location_id=sandboxes.ghl_location_id, private_token=sandboxes.ghl_private_token)
    return practice


def practice_sandboxes_connect(*, practice: Practice, nextech_url: str, practice_guid: str,
                               client_id: str, username: str, password: str, ghl_url: str,
                               location_id: str, private_token: str) -> None:
    """Store a practice's credentials for sandboxes served at these URLs (Nextech Cloud user
    sign-in, a GoHighLevel private integration token)."""
    NextechCredential.objects.create(
        practice=practice, base_url=f"{nextech_url}/api",
        token_url=f"{nextech_url}/nextech-api.com/oauth2/token",
        practice_guid=uuid.UUID(practice_guid), client_id=client_id, username=username,
        password=password)
    GhlCredential.objects.create(
        practice=practice, auth_kind=GhlCredential.AuthKind.PRIVATE, location_id=location_id,
        private_token=private_token, api_base_url=ghl_url,
        authorize_url=f"{ghl_url}/v2/oauth/chooselocation", token_url=f"{ghl_url}/oauth/token")


def demo_practice_setup(*, practice: Practice) -> dict[str, Any]:
    from tenants.ghl.client import ghl_client_for
    from tenants.ghl.connect import ghl_location_name_refresh
    from tenants.nextech_link import nextech_client_for

    ghl_location_name_refresh(practice=practice)  # "Demo Aesthetics" on the practice page
    summary = practice_crm_setup(practice=practice, nextech=nextech_client_for(practice=practice),
                                 ghl=ghl_client_for(practice=practice))
    with schema_context(practice.schema_name):
        # The demo practice stands for one whose client has reviewed the suggestions.
        suggestions_confirm_all(by="demo")
    return summary_as_dict(summary)


def demo_users_ensure(*, practice: Practice) -> dict[str, str]:
    """The agency superuser and the demo practice's portal user; passwords kept locally."""
    password = local_secret(settings.LOCAL_DIR / "demo_password")
    agency = User.objects.filter(username=AGENCY_USERNAME).first() or User.objects.create_superuser(
        AGENCY_USERNAME, "agency@example.com", password)
    agency.set_password(password)
    agency.save()
    frontdesk = User.objects.filter(username=PORTAL_USERNAME).first() or User.objects.create_user(
        PORTAL_USERNAME, "frontdesk@example.com", password)
    frontdesk.set_password(password)
    frontdesk.save()
    membership_grant(user=frontdesk, practice=practice, role=Membership.Role.OWNER)
    return {"agency": AGENCY_USERNAME, "portal": PORTAL_USERNAME, "password": password}


def demo_counts(*, sandboxes: DemoSandboxes, practice: Practice) -> dict[str, int]:
    """What the demo CRM location holds now, read from the sandbox itself."""
    location = sandboxes.ghl.state.locations[sandboxes.ghl_location_id]
    with schema_context(practice.schema_name):
        from integrations.models import InboxItem, OutboxOp

        dead = (InboxItem.objects.filter(state=InboxItem.State.DEAD).count()
                + OutboxOp.objects.filter(state=OutboxOp.State.DEAD).count())
    nxt_linked = sum(1 for c in location.contacts.values() if c.custom_fields)
    return {"contacts_in_crm": nxt_linked, "notes_in_crm": len(location.notes),
            "opportunities_in_crm": len(location.opportunities), "dead_letters": dead}
