"""Locations set up the way Aesthetix CRM sets up a practice: the surgical and
non-surgical pipelines with the spec's stages, the locked NXT workflows, users."""

from __future__ import annotations

import uuid
from typing import Any

from integrations.ghl.sandbox.state import SandboxState, SbLocation, contact_upsert, iso, new_id

PIPELINES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Surgical", ("Consult Booked", "Consult Complete", "Surgery Scheduled",
                  "Surgery Complete", "Cancelled / No-Show")),
    ("Non-Surgical", ("Booked", "Patient", "Cancelled / No-Show")),
)

WORKFLOWS: tuple[tuple[str, str], ...] = (
    ("NXT Appointments Update", "published"),
    ("NXT Payments Update", "published"),
    ("NXT Birthday", "published"),
    ("NXT Location Assignment", "published"),
    ("Google Review Request", "draft"),
)

USERS: tuple[tuple[str, str, str], ...] = (
    ("Front", "Desk", "frontdesk@example.com"),
    ("Practice", "Manager", "manager@example.com"),
)

DEMO_LOCATION_ID = "demoLocation00000001"


def location_create(*, state: SandboxState, name: str,
                    location_id: str | None = None) -> SbLocation:
    """A new sub-account with the Aesthetix pipelines, workflows and users."""
    location = SbLocation(id=location_id or new_id(), name=name, company_id=state.company_id)
    now = iso(state.clock.now())
    location.pipelines = [
        {"id": new_id(), "name": pipeline,
         "stages": [{"id": str(uuid.uuid4()), "name": stage, "position": i}
                    for i, stage in enumerate(stages)]}
        for pipeline, stages in PIPELINES
    ]
    location.workflows = [{"id": str(uuid.uuid4()), "name": wf, "status": status, "version": 1,
                           "createdAt": now, "updatedAt": now} for wf, status in WORKFLOWS]
    location.users = [{"id": new_id(), "name": f"{first} {last}", "firstName": first,
                       "lastName": last, "email": email} for first, last, email in USERS]
    with state.lock:
        state.locations[location.id] = location
    return location


def seed_demo_location(*, state: SandboxState, name: str = "Demo Aesthetics",
                       location_id: str = DEMO_LOCATION_ID) -> SbLocation:
    """The location `make demo` connects to; idempotent, so restarts keep one location.

    Custom fields are left to the integration (`custom_fields_ensure`), as on a real
    new sub-account; two contacts give the portal something to show.
    """
    with state.lock:
        if location_id in state.locations:
            return state.locations[location_id]
    location = location_create(state=state, name=name, location_id=location_id)
    demo: list[dict[str, Any]] = [
        {"firstName": "Avery", "lastName": "Lee", "email": "avery.lee@example.com",
         "phone": "+14155550101"},
        {"firstName": "Jordan", "lastName": "Diaz", "email": "jordan.diaz@example.com",
         "phone": "+14155550102"},
    ]
    for body in demo:
        contact_upsert(state=state, location=location, body=body)
    return location
