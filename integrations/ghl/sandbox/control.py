"""The control API under `/_sandbox/`: seed locations, act as a CRM user (tags,
contacts, sending webhooks), inject faults, move the clock, read everything back."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from integrations.clock import SimulatedClock
from integrations.ghl.sandbox.api_contacts import contact_json
from integrations.ghl.sandbox.http import Call, HttpProblem, Route, ok
from integrations.ghl.sandbox.schema import birth_date_problems
from integrations.ghl.sandbox.seed import location_create
from integrations.ghl.sandbox.state import SbContact, SbLocation, contact_upsert
from integrations.sandbox_kit.faults import Fault


def _location(call: Call) -> SbLocation:
    location = call.state.locations.get(call.args["location_id"])
    if location is None:
        raise HttpProblem(404, "No such sandbox location")
    return location


def _contact(call: Call) -> tuple[SbLocation, SbContact]:
    location = _location(call)
    contact = location.contacts.get(call.args["contact_id"])
    if contact is None:
        raise HttpProblem(404, "No such sandbox contact")
    return location, contact


def location_state(location: SbLocation) -> dict[str, Any]:
    """Everything in a location, with custom fields by key and stages by name."""
    keys = {fid: f["fieldKey"] for fid, f in location.custom_fields.items()}
    pipelines = {p["id"]: p for p in location.pipelines}

    def opportunity(o: dict[str, Any]) -> dict[str, Any]:
        pipeline = pipelines.get(o["pipelineId"], {"name": None, "stages": []})
        stage = next((s["name"] for s in pipeline["stages"] if s["id"] == o.get("pipelineStageId")),
                     None)
        return {"id": o["id"], "name": o["name"], "contactId": o["contactId"],
                "pipeline": pipeline["name"], "stage": stage, "status": o["status"],
                "monetaryValue": o.get("monetaryValue")}

    contacts = []
    for contact in location.contacts.values():
        body = contact_json(contact)
        body["customFields"] = {keys[k]: v for k, v in contact.custom_fields.items()}
        body["notes"] = [n for n in location.notes if n["contactId"] == contact.id]
        body["opportunities"] = [opportunity(o) for o in location.opportunities.values()
                                 if o["contactId"] == contact.id]
        body["workflows"] = [e["workflowName"] for e in location.enrolments
                             if e["contactId"] == contact.id and e["active"]]
        contacts.append(body)
    return {
        "location": {"id": location.id, "name": location.name,
                     "companyId": location.company_id,
                     "allowDuplicateContact": location.allow_duplicate_contact,
                     "duplicatePriority": list(location.duplicate_priority)},
        "contacts": contacts,
        "opportunities": [opportunity(o) for o in location.opportunities.values()],
        "enrolments": location.enrolments,
        "customFields": list(location.custom_fields.values()),
        "pipelines": location.pipelines, "workflows": location.workflows,
        "users": location.users,
        "ignoredCustomFieldWrites": location.ignored_custom_field_writes,
    }


def locations_create(call: Call) -> Response:
    body = call.json() or {}
    if body.get("id") in call.state.locations:
        raise HttpProblem(400, "That location id exists")
    location = location_create(state=call.state, name=str(body.get("name") or "Sandbox Practice"),
                               location_id=body.get("id"))
    return ok(location_state(location), 201)


def locations_list(call: Call) -> Response:
    return ok({"locations": [{"id": loc.id, "name": loc.name}
                             for loc in call.state.locations.values()]})


def state_read(call: Call) -> Response:
    return ok(location_state(_location(call)))


def settings_update(call: Call) -> Response:
    body, location = call.json(), _location(call)
    if "allowDuplicateContact" in body:
        location.allow_duplicate_contact = bool(body["allowDuplicateContact"])
    if "duplicatePriority" in body:
        location.duplicate_priority = tuple(body["duplicatePriority"])
    return ok(location_state(location)["location"])


def private_token_issue(call: Call) -> Response:
    location = _location(call)
    token = call.state.token_issue(kind="pit", user_type="Location", location_id=location.id,
                                   ttl_seconds=None)
    return ok({"token": token, "locationId": location.id}, 201)


def access_tokens_revoke(call: Call) -> Response:
    return ok({"revoked": call.state.access_tokens_revoke(location_id=_location(call).id)})


def _contact_event(kind: str, contact: SbContact) -> dict[str, Any]:
    body = contact_json(contact)
    body["type"] = kind
    if contact.date_of_birth:  # webhooks send a timestamp: "2000-01-05T00:00:00.000Z"
        body["dateOfBirth"] = f"{contact.date_of_birth.isoformat()}T00:00:00.000Z"
    body["customFields"] = [{"id": k, "value": v} for k, v in contact.custom_fields.items()]
    return body


def contact_create_as_user(call: Call) -> Response:
    location = _location(call)
    body = dict(call.json())
    problems = birth_date_problems(body)  # the CRM's form takes the API's formats too
    if problems:
        raise HttpProblem(422, problems)
    # A form or ad brings the contact in with its first-touch attribution.
    attribution = body.pop("attributionSource", None)
    contact, _ = contact_upsert(state=call.state, location=location, body=body)
    if attribution is not None:
        contact.attribution_source = {"url": "", **attribution}
    call.state.outbox.append(_contact_event("ContactCreate", contact))
    return ok({"contact": contact_json(contact)}, 201)


def tags_change_as_user(call: Call) -> Response:
    """A CRM user edits tags; GoHighLevel then sends ContactTagUpdate with the full list."""
    _, contact = _contact(call)
    tags = list((call.json() or {}).get("tags") or [])
    if call.request.method == "DELETE":
        contact.tags = [t for t in contact.tags if t not in tags]
    else:
        contact.tags = list(dict.fromkeys([*contact.tags, *tags]))
    call.state.outbox.append(_contact_event("ContactTagUpdate", contact))
    return ok({"tags": contact.tags})


def webhook_configure(call: Call) -> Response:
    if call.request.method == "PUT":
        call.state.webhook_url = (call.json() or {}).get("url") or None
    return ok({"url": call.state.webhook_url,
               "publicKeys": call.state.webhook_public_pems,
               "deliveries": call.state.deliveries})


def faults_change(call: Call) -> Response:
    if call.request.method == "DELETE":
        call.state.faults.clear()
        return ok({"faults": []})
    body = call.json()
    call.state.faults.add(Fault(kind=body["kind"], remaining=int(body.get("remaining", 1)),
                                path_prefix=str(body.get("pathPrefix", "")),
                                delay_seconds=float(body.get("delaySeconds", 0))))
    return ok({"faults": len(call.state.faults.faults)}, 201)


def clock_move(call: Call) -> Response:
    clock = call.state.clock
    if not isinstance(clock, SimulatedClock):
        raise HttpProblem(400, "This sandbox runs on the real clock")
    clock.advance(float((call.json() or {}).get("advanceSeconds", 0)))
    return ok({"now": clock.now().isoformat()})


def limits_update(call: Call) -> Response:
    body = call.json() or {}
    state = call.state
    state.daily_limit = int(body.get("dailyLimit", state.daily_limit))
    state.burst_max = int(body.get("burstMax", state.burst_max))
    state.search_delay_seconds = float(body.get("searchDelaySeconds",
                                                state.search_delay_seconds))
    return ok({"dailyLimit": state.daily_limit, "burstMax": state.burst_max,
               "searchDelaySeconds": state.search_delay_seconds})


def counters_read(call: Call) -> Response:
    return ok({"counters": dict(call.state.counters)})


_L = "/_sandbox/locations/<location_id>"
ROUTES = [
    Route("/_sandbox/locations", ("POST",), locations_create, "control"),
    Route("/_sandbox/locations", ("GET",), locations_list, "control"),
    Route(f"{_L}/state", ("GET",), state_read, "control"),
    Route(f"{_L}/settings", ("PUT",), settings_update, "control"),
    Route(f"{_L}/private-token", ("POST",), private_token_issue, "control"),
    Route(f"{_L}/revoke-access-tokens", ("POST",), access_tokens_revoke, "control"),
    Route(f"{_L}/contacts", ("POST",), contact_create_as_user, "control"),
    Route(f"{_L}/contacts/<contact_id>/tags", ("POST", "DELETE"), tags_change_as_user, "control"),
    Route("/_sandbox/webhook", ("GET", "PUT"), webhook_configure, "control"),
    Route("/_sandbox/faults", ("POST", "DELETE"), faults_change, "control"),
    Route("/_sandbox/clock", ("POST",), clock_move, "control"),
    Route("/_sandbox/limits", ("PUT",), limits_update, "control"),
    Route("/_sandbox/counters", ("GET",), counters_read, "control"),
]
