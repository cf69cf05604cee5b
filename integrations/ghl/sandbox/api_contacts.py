"""Sandbox contacts endpoints: upsert, get, update, tags, notes, workflows, search."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from integrations.ghl.sandbox.http import Call, HttpProblem, Route, ok
from integrations.ghl.sandbox.state import (
    SbContact,
    contact_fields_apply,
    contact_identifiers,
    contact_upsert,
    iso,
    new_id,
)


def contact_json(contact: SbContact) -> dict[str, Any]:
    """The GetContactById shape: custom fields by id only, never by key [ISSUE:#177]."""
    names = [n for n in (contact.first_name, contact.last_name) if n]
    body: dict[str, Any] = {
        "id": contact.id, "locationId": contact.location_id, "type": "lead",
        "firstName": contact.first_name, "lastName": contact.last_name,
        "name": " ".join(names) or None, "email": contact.email,
        "emailLowerCase": contact.email.lower() if contact.email else None,
        "phone": contact.phone, "source": contact.source,
        # Reads give the day as YYYY-MM-DD (GetContactById's example); webhooks differ.
        "dateOfBirth": contact.date_of_birth.isoformat() if contact.date_of_birth else None,
        "postalCode": contact.other.get("postalCode"),
        "attributionSource": contact.attribution_source,
        "tags": list(contact.tags), "dateAdded": iso(contact.date_added),
        "customFields": [{"id": k, "value": v} for k, v in contact.custom_fields.items()],
    }
    return {k: v for k, v in body.items() if v is not None}


def upsert(call: Call) -> Response:
    body = call.body("UpsertContactDto")
    location = call.loc()
    contact, created = contact_upsert(state=call.state, location=location, body=body)
    return ok({"new": created, "contact": contact_json(contact), "traceId": new_id(32)})


def get(call: Call) -> Response:
    return ok({"contact": contact_json(call.contact())})


def update(call: Call) -> Response:
    body = call.body("UpdateContactDto")
    contact = call.contact()
    for ident, value in contact_identifiers(body).items():
        if value:
            setattr(contact, ident, value)
    contact_fields_apply(location=call.loc(), contact=contact, body=body)
    return ok({"succeded": True, "contact": contact_json(contact)})


def tags_add(call: Call) -> Response:
    tags = call.body("TagsDTO")["tags"]
    contact = call.contact()
    contact.tags = list(dict.fromkeys([*contact.tags, *tags]))
    return ok({"tags": contact.tags}, 201)


def tags_remove(call: Call) -> Response:
    tags = set(call.body("TagsDTO")["tags"])
    contact = call.contact()
    contact.tags = [t for t in contact.tags if t not in tags]
    return ok({"tags": contact.tags})


def note_create(call: Call) -> Response:
    body = call.body("NotesDTO")
    contact = call.contact()
    note = {"id": new_id(), "contactId": contact.id, "body": body["body"],
            "dateAdded": iso(call.state.clock.now())}
    note.update({k: body[k] for k in ("userId", "title", "color", "pinned") if k in body})
    call.loc().notes.append(note)
    return ok({"note": note}, 201)


def notes_list(call: Call) -> Response:
    contact = call.contact()
    return ok({"notes": [n for n in call.loc().notes if n["contactId"] == contact.id]})


def _workflow(call: Call) -> dict[str, Any]:
    workflow = next((w for w in call.loc().workflows if w["id"] == call.args["workflow_id"]),
                    None)
    if workflow is None:
        raise HttpProblem(400, "Workflow not found")
    return workflow


def workflow_add(call: Call) -> Response:
    body = call.body("CreateWorkflowDto")
    contact, workflow = call.contact(), _workflow(call)
    call.loc().enrolments.append({
        "contactId": contact.id, "workflowId": workflow["id"], "workflowName": workflow["name"],
        "eventStartTime": body.get("eventStartTime"), "at": iso(call.state.clock.now()),
        "active": True,
    })
    return ok({"succeded": True})


def workflow_remove(call: Call) -> Response:
    call.body("CreateWorkflowDto")
    contact, workflow = call.contact(), _workflow(call)
    for enrolment in call.loc().enrolments:
        if enrolment["contactId"] == contact.id and enrolment["workflowId"] == workflow["id"]:
            enrolment["active"] = False
    return ok({"succeded": True})


def _rule_holds(contact: SbContact, rule: dict[str, Any]) -> bool:
    """`eq` on a list field (tags) means "has this value", as in GoHighLevel's search."""
    have = getattr(contact, str(rule.get("field")), None)
    if isinstance(have, list):
        wanted = rule.get("value")
        return all(w in have for w in (wanted if isinstance(wanted, list) else [wanted]))
    return bool(have == rule.get("value"))


def _matches(contact: SbContact, query: str | None, filters: list[Any]) -> bool:
    text = " ".join(filter(None, (contact.first_name, contact.last_name, contact.email,
                                  contact.phone))).lower()
    if query and query.lower() not in text:
        return False
    return all(_rule_holds(contact, rule) for rule in filters
               if isinstance(rule, dict) and rule.get("operator") == "eq")


def search(call: Call) -> Response:
    """Eventually consistent: a contact shows up `search_delay_seconds` after its creation."""
    body = call.body("SearchBodyV2DTO")
    now = call.state.clock.now()
    visible = [c for c in call.loc().contacts.values()
               if c.searchable_at <= now and _matches(c, body.get("query"),
                                                      body.get("filters") or [])]
    limit = max(1, min(int(body.get("pageLimit") or 20), 500))
    page = max(1, int(body.get("page") or 1))
    chunk = visible[(page - 1) * limit: page * limit]
    return ok({"contacts": [contact_json(c) for c in chunk], "total": len(visible)})


ROUTES = [
    Route("/contacts/upsert", ("POST",), upsert),
    Route("/contacts/search", ("POST",), search),
    Route("/contacts/<contact_id>", ("GET",), get),
    Route("/contacts/<contact_id>", ("PUT",), update),
    Route("/contacts/<contact_id>/tags", ("POST",), tags_add),
    Route("/contacts/<contact_id>/tags", ("DELETE",), tags_remove),
    Route("/contacts/<contact_id>/notes", ("POST",), note_create),
    Route("/contacts/<contact_id>/notes", ("GET",), notes_list),
    Route("/contacts/<contact_id>/workflow/<workflow_id>", ("POST",), workflow_add),
    Route("/contacts/<contact_id>/workflow/<workflow_id>", ("DELETE",), workflow_remove),
]
