"""Validating recorded exchanges against the v2 OpenAPI specs with openapi-core.

The specs contradict themselves in a few places (a `type` that its own `example`
violates); `ERRATA` corrects exactly those, each with its reason, and nothing else.
The specs also allow undeclared properties, which real GoHighLevel rejects with
422, so `undeclared_properties` checks that separately.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import requests
from openapi_core import Config, OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse

SPECS = Path(__file__).parent / "openapi" / "apps"
SPEC_NAMES = ("contacts", "opportunities", "locations", "workflows", "oauth", "users")
SANDBOX_SERVERS = ("http://ghl.sandbox",)

ANY = {"oneOf": [{"type": t} for t in ("string", "number", "boolean", "array", "object")]}
DOCUMENTED_SEARCH_BODY = {  # ghl-api.md 4.5: the spec's SearchBodyV2DTO is empty
    "type": "object", "properties": {k: {} for k in (
        "locationId", "page", "pageLimit", "searchAfter", "filters", "sort", "query")},
    "required": ["locationId"]}



def birth_date_formats(dto: str) -> list[str]:
    """The formats a contact DTO's `dateOfBirth` description lists ("Supported formats: ...")."""
    spec = json.loads((SPECS / "contacts.json").read_text())
    description = spec["components"]["schemas"][dto]["properties"]["dateOfBirth"]["description"]
    return [f.strip() for f in description.split("Supported formats:")[1].split(",")]


def _birth_date_schema(dto: str) -> dict[str, Any]:
    # Each listed spelling as a pattern: YYYY four digits, MM and DD two.
    spellings = (re.sub(r"YYYY|MM|DD", lambda m: rf"\d{{{len(m[0])}}}", re.escape(f))
                 for f in birth_date_formats(dto))
    return {"type": "string", "nullable": True,
            "pattern": "^(?:" + "|".join(spellings) + ")$"}


# (spec, JSON pointer inside components/schemas, replacement, why)
ERRATA: tuple[tuple[str, str, dict[str, Any], str], ...] = (
    ("contacts", "UpsertContactDto/properties/dateOfBirth", _birth_date_schema("UpsertContactDto"),
     "typed object, but the example and the listed formats are strings"),
    ("contacts", "UpdateContactDto/properties/dateOfBirth", _birth_date_schema("UpdateContactDto"),
     "typed object, but the example and the listed formats are strings"),
    ("contacts", "NumericField/properties/field_value", {"type": "number"},
     "typed object, example 100"),
    ("contacts", "MonetoryField/properties/field_value", {"type": "number"},
     "typed object, example 100.5"),
    ("contacts", "CustomFieldSchema/properties/value", ANY,
     "typed string; the webhook schema for the same values allows string|number|array|object"),
    ("contacts", "SearchBodyV2DTO", DOCUMENTED_SEARCH_BODY, "empty in the spec"),
    ("opportunities", "PipelinesResponseSchema/properties/stages/items", {"type": "object"},
     "typed array of arrays; stages are {id, name} objects"),
)


@cache
def spec_dict(name: str) -> dict[str, Any]:
    spec: dict[str, Any] = json.loads((SPECS / f"{name}.json").read_text())
    spec["servers"] = [*spec.get("servers", []), *({"url": u} for u in SANDBOX_SERVERS)]
    for target, pointer, replacement, _why in ERRATA:
        if target == name:
            *parents, leaf = pointer.split("/")
            node = spec["components"]["schemas"]
            for part in parents:
                node = node[part]
            node[leaf] = replacement
    return spec


@cache
def openapi(name: str) -> OpenAPI:
    return OpenAPI.from_dict(spec_dict(name), base_uri=(SPECS / f"{name}.json").as_uri(),
                             config=Config(spec_validator_cls=None))


def operation(path: str, method: str) -> tuple[str, dict[str, Any]] | None:
    """(spec name, operation) declaring this concrete path, or None (control API, HTML)."""
    for name in SPEC_NAMES:
        for template, ops in spec_dict(name)["paths"].items():
            pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template.rstrip("/")) + "/?$"
            if re.match(pattern, path) and method.lower() in ops:
                return name, ops[method.lower()]
    return None


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema and schema["$ref"].startswith("#/components/schemas/"):
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _undeclared(spec: dict[str, Any], schema: dict[str, Any], value: Any,
                where: str) -> Iterator[str]:
    schema = _resolve(spec, schema)
    branches = schema.get("anyOf") or schema.get("oneOf")
    if branches:
        found = [list(_undeclared(spec, b, value, where)) for b in branches]
        if all(found):
            yield from found[0]
        return
    if isinstance(value, dict) and "properties" in schema:
        for key, item in value.items():
            if key not in schema["properties"]:
                yield f"{where}.{key}"
            else:
                yield from _undeclared(spec, schema["properties"][key], item, f"{where}.{key}")
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            yield from _undeclared(spec, schema["items"], item, f"{where}[{index}]")


def undeclared_properties(request: requests.PreparedRequest) -> list[str]:
    """Body properties the operation's request schema does not declare."""
    found = operation(request.path_url.split("?")[0], str(request.method))
    if found is None or not request.body:
        return []
    name, op = found
    spec = spec_dict(name)
    content = op.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        value = json.loads(request.body)
        schema = content["application/json"]["schema"]
    else:
        form = content.get("application/x-www-form-urlencoded", {})
        body = request.body.decode() if isinstance(request.body, bytes) else str(request.body)
        value = dict(p.split("=", 1) for p in body.split("&") if p)
        schema = form.get("schema", {})
    return list(_undeclared(spec, schema, value, "body"))


def exchange_validate(request: requests.PreparedRequest,
                      response: requests.Response) -> str | None:
    """The spec this exchange was checked against, or None when no spec covers it.

    Raises openapi-core's validation error when the request or response breaks the spec.
    """
    found = operation(request.path_url.split("?")[0], str(request.method))
    if found is None:
        return None
    api = openapi(found[0])
    wrapped = RequestsOpenAPIRequest(request)
    api.validate_request(wrapped)
    api.validate_response(wrapped, RequestsOpenAPIResponse(response))
    return found[0]
