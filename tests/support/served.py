"""A committed practice wired to sandboxes served over HTTP, and the CRM as tests compare it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import defaultdict
from typing import Any

from django_tenants.utils import schema_context

from integrations.category_review import suggestions_confirm_all
from integrations.demo import practice_sandboxes_connect
from integrations.engine.enrolment_record import enrolment_refs
from integrations.ghl.fields import ENROLMENTS_FIELD
from integrations.ghl.sandbox import GhlSandbox, location_create
from integrations.onboarding.setup import practice_crm_setup
from tenants.ghl.client import ghl_client_for
from tenants.models import Practice
from tenants.nextech_link import nextech_client_for
from tests.support.db import database_url
from tests.support.qcluster import ROOT


def practice_served_connect(*, practice: Practice, nextech_url: str, ghl: GhlSandbox,
                            ghl_url: str, practice_guid: str, login: str) -> str:
    """A new CRM location for the practice, its credentials (`login` names the Nextech user
    registered in the sandbox as `<login>-client`, `<login>@nextech-api.com`,
    `<login>-pass`) and the onboarding set-up; returns the location id."""
    location = location_create(state=ghl.state, name=practice.name)
    token = ghl.state.token_issue(kind="pit", user_type="Location", location_id=location.id,
                                  ttl_seconds=None)
    practice_sandboxes_connect(
        practice=practice, nextech_url=nextech_url, practice_guid=practice_guid,
        client_id=f"{login}-client", username=f"{login}@nextech-api.com",
        password=f"{login}-pass", ghl_url=ghl_url, location_id=location.id,
        private_token=token)
    summary = practice_crm_setup(practice=practice, nextech=nextech_client_for(practice=practice),
                                 ghl=ghl_client_for(practice=practice))
    assert summary.ok, summary.failures
    with schema_context(practice.schema_name):
        suggestions_confirm_all(by="test")  # as the practice's client would, in the portal
    return location.id


def crm_view(ghl: GhlSandbox, location_id: str) -> dict[str, Any]:
    """Every contact of a CRM location by NXT Patient ID: fields, notes, opportunities, tags,
    workflow enrolments.

    Contacts without a patient id, or a second contact for one patient, get keys of their
    own, so a comparison fails on them instead of hiding them.
    """
    location = ghl.state.locations[location_id]
    keys = {fid: f["fieldKey"] for fid, f in location.custom_fields.items()}
    stages = {s["id"]: s["name"] for p in location.pipelines for s in p["stages"]}
    # Grouped once: a large practice's CRM has tens of thousands of notes.
    notes: dict[str, list[str]] = defaultdict(list)
    for note in location.notes:
        notes[note["contactId"]].append(note["body"])
    opportunities: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for o in location.opportunities.values():
        opportunities[o["contactId"]].append(
            (stages[o["pipelineStageId"]], o["status"], o.get("monetaryValue")))
    enrolled: dict[str, list[str]] = defaultdict(list)  # every enrolment: twice shows twice
    for enrolment in location.enrolments:
        enrolled[enrolment["contactId"]].append(enrolment["workflowName"])
    view: dict[str, Any] = {}
    for contact in location.contacts.values():
        fields = {keys[k].removeprefix("contact."): v for k, v in contact.custom_fields.items()}
        if ENROLMENTS_FIELD in fields:
            # Its references name workflow ids, which differ between locations: the number
            # of enrolments recorded is what two runs can share.
            fields[ENROLMENTS_FIELD] = len(enrolment_refs(fields[ENROLMENTS_FIELD]))
        key = fields.get("nxt_patient_id") or f"no patient id: {contact.id}"
        while key in view:
            key += " (duplicate contact)"
        view[key] = {
            "name": (contact.first_name, contact.last_name),
            "fields": fields,
            "notes": sorted(notes[contact.id]),
            "opportunities": sorted(opportunities[contact.id]),
            "tags": sorted(contact.tags),
            "workflows": sorted(enrolled[contact.id]),
        }
    return view


def sync_now(slug: str, crash_at: str | None = None) -> subprocess.CompletedProcess[str]:
    """One tick of a committed practice in its own process (`manage.py sync_now`), as a
    worker runs it; `crash_at` names the crash point it dies at (AXC_CRASH_AT)."""
    env = {**os.environ, "DATABASE_URL": database_url()}
    env.pop("AXC_CRASH_AT", None)
    if crash_at:
        env["AXC_CRASH_AT"] = crash_at
    return subprocess.run([sys.executable, "manage.py", "sync_now", slug], cwd=ROOT, env=env,  # noqa: S603
                          capture_output=True, text=True, timeout=180)
