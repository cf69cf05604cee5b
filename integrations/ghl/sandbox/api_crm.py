"""Sandbox endpoints beyond contacts: workflows, users, pipelines, opportunities,
custom fields."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from werkzeug.wrappers import Response

from integrations.ghl.sandbox.http import Call, HttpProblem, Route, ok
from integrations.ghl.sandbox.state import iso, new_id

_STATUSES = ("open", "won", "lost", "abandoned")


def workflows_list(call: Call) -> Response:
    location = call.loc()
    return ok({"workflows": [{**w, "locationId": location.id} for w in location.workflows]})


def users_list(call: Call) -> Response:
    return ok({"users": call.loc().users})


def pipelines_list(call: Call) -> Response:
    location = call.loc()
    return ok({"pipelines": [{**p, "locationId": location.id, "showInFunnel": True,
                              "showInPieChart": True} for p in location.pipelines]})


def _stage_check(call: Call, pipeline_id: str, stage_id: str | None) -> None:
    pipeline = next((p for p in call.loc().pipelines if p["id"] == pipeline_id), None)
    if pipeline is None:
        raise HttpProblem(400, "Pipeline not found")
    if stage_id and stage_id not in {s["id"] for s in pipeline["stages"]}:
        raise HttpProblem(400, "Pipeline stage not found")


def _status_check(status: Any) -> None:
    if status is not None and status not in _STATUSES:
        raise HttpProblem(422, [f"status must be one of the following values: {_STATUSES}"])


def opportunities_search(call: Call) -> Response:
    """GET search: snake_case filters; `page`/`limit` paging with a next-page URL."""
    query = call.request.args
    filters = {"contactId": query.get("contact_id"), "pipelineId": query.get("pipeline_id"),
               "pipelineStageId": query.get("pipeline_stage_id")}
    status = query.get("status")
    found = [o for o in call.loc().opportunities.values()
             if all(v is None or o[k] == v for k, v in filters.items())
             and (status in (None, "all") or o["status"] == status)]
    limit = max(1, min(int(float(query.get("limit") or 20)), 100))
    page = max(1, int(float(query.get("page") or 1)))
    chunk = found[(page - 1) * limit: page * limit]
    meta: dict[str, Any] = {"total": len(found), "currentPage": page}
    if page * limit < len(found):
        following = {**query.to_dict(), "page": str(page + 1)}
        meta.update(nextPage=page + 1,
                    nextPageUrl=f"{call.request.base_url}?{urlencode(following)}")
    return ok({"opportunities": chunk, "meta": meta, "aggregations": {}})


def opportunity_get(call: Call) -> Response:
    return ok({"opportunity": _opportunity(call)})


def _opportunity(call: Call) -> dict[str, Any]:
    found = call.loc().opportunities.get(call.args["opportunity_id"])
    if found is None:
        raise HttpProblem(400, "Opportunity not found")
    return found


def opportunity_create(call: Call) -> Response:
    body = call.body("CreateDto")
    location = call.loc()
    _status_check(body["status"])
    _stage_check(call, body["pipelineId"], body.get("pipelineStageId"))
    if body["contactId"] not in location.contacts:
        raise HttpProblem(400, "Contact not found")
    now = iso(call.state.clock.now())
    opportunity = {
        "id": new_id(), "locationId": location.id, "name": body["name"],
        "contactId": body["contactId"], "pipelineId": body["pipelineId"],
        "pipelineStageId": body.get("pipelineStageId"), "status": body["status"],
        "monetaryValue": body.get("monetaryValue", 0), "source": "api",
        "createdAt": now, "updatedAt": now, "lastStatusChangeAt": now, "lastStageChangeAt": now,
    }
    location.opportunities[opportunity["id"]] = {k: v for k, v in opportunity.items()
                                                 if v is not None}
    return ok({"opportunity": location.opportunities[opportunity["id"]]}, 201)


def opportunity_update(call: Call) -> Response:
    body = call.body("UpdateOpportunityDto")
    opportunity = _opportunity(call)
    _status_check(body.get("status"))
    _stage_check(call, body.get("pipelineId", opportunity["pipelineId"]),
                 body.get("pipelineStageId"))
    now = iso(call.state.clock.now())
    if body.get("status", opportunity["status"]) != opportunity["status"]:
        opportunity["lastStatusChangeAt"] = now
    if body.get("pipelineStageId", opportunity.get("pipelineStageId")) \
            != opportunity.get("pipelineStageId"):
        opportunity["lastStageChangeAt"] = now
    opportunity.update({k: v for k, v in body.items() if k != "customFields"})
    opportunity["updatedAt"] = now
    return ok({"opportunity": opportunity})


def custom_fields_list(call: Call) -> Response:
    model = call.request.args.get("model", "all")
    fields = [f for f in call.loc().custom_fields.values() if model in ("all", f["model"])]
    return ok({"customFields": fields})


def field_key_make(name: str, model: str) -> str:
    """`<model>.<snake_case name>`: the documented key format (slugging is unverified)."""
    return f"{model}.{re.sub(r'[^a-z0-9]+', '_', name.lower()).strip('_')}"


def custom_field_create(call: Call) -> Response:
    body = call.body("CreateCustomFieldsDTO")
    location = call.loc()
    model = body.get("model", "contact")
    key = field_key_make(body["name"], model)
    if any(f["fieldKey"] == key for f in location.custom_fields.values()):
        raise HttpProblem(400, f"A custom field with key {key} already exists")
    created = {"id": new_id(), "name": body["name"], "fieldKey": key,
               "dataType": body["dataType"], "position": body.get("position", 0),
               "placeholder": body.get("placeholder", ""), "locationId": location.id,
               "model": model, "picklistOptions": []}
    location.custom_fields[created["id"]] = created
    return ok({"customField": created}, 201)


def location_get(call: Call) -> Response:
    """GetLocationByIdSuccessfulResponseDto, with the properties the sandbox knows."""
    location = call.loc()
    return ok({"location": {"id": location.id, "companyId": location.company_id,
                            "name": location.name}})


ROUTES = [
    Route("/locations/<location_id>", ("GET",), location_get),
    Route("/workflows/", ("GET",), workflows_list),
    Route("/users/", ("GET",), users_list),
    Route("/opportunities/pipelines", ("GET",), pipelines_list),
    Route("/opportunities/search", ("GET",), opportunities_search),
    Route("/opportunities/", ("POST",), opportunity_create),
    Route("/opportunities/<opportunity_id>", ("GET",), opportunity_get),
    Route("/opportunities/<opportunity_id>", ("PUT",), opportunity_update),
    Route("/locations/<location_id>/customFields", ("GET",), custom_fields_list),
    Route("/locations/<location_id>/customFields", ("POST",), custom_field_create),
]
