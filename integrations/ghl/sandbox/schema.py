"""The body properties each v2 operation declares, and the 422 real GoHighLevel
sends for anything else (whitelist validation [ISSUE:#262], [ISSUE:#313]), or for a
`dateOfBirth` in none of the formats the spec lists.

Copied from the request DTOs of the v2 specs; `tests/ghl/test_contract.py`
checks these sets against the spec files so they cannot drift.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

_CONTACT_COMMON = frozenset({
    "address1", "assignedTo", "city", "country", "customFields", "dateOfBirth", "dnd",
    "dndSettings", "email", "firstName", "inboundDndSettings", "lastName", "name", "phone",
    "postalCode", "source", "state", "tags", "timezone", "website",
})


@dataclass(frozen=True)
class BodyRule:
    allowed: frozenset[str]
    required: frozenset[str] = frozenset()
    custom_fields: bool = False  # items of `customFields` are {id, key, field_value}


CUSTOM_FIELD_ITEM = frozenset({"id", "key", "field_value"})

BODY_RULES: Mapping[str, BodyRule] = {
    "UpsertContactDto": BodyRule(
        _CONTACT_COMMON | {"locationId", "gender", "companyName", "createNewIfDuplicateAllowed"},
        frozenset({"locationId"}), custom_fields=True),
    "UpdateContactDto": BodyRule(_CONTACT_COMMON, custom_fields=True),
    "TagsDTO": BodyRule(frozenset({"tags"}), frozenset({"tags"})),
    "NotesDTO": BodyRule(frozenset({"userId", "body", "title", "color", "pinned"}),
                         frozenset({"body"})),
    "CreateWorkflowDto": BodyRule(frozenset({"eventStartTime"})),
    # The spec's SearchBodyV2DTO is empty; these are the documented properties
    # (ghl-api.md 4.5, from the help-centre mirror).
    "SearchBodyV2DTO": BodyRule(frozenset({"locationId", "page", "pageLimit", "searchAfter",
                                           "filters", "sort", "query"}),
                                frozenset({"locationId"})),
    "CreateDto": BodyRule(
        frozenset({"assignedTo", "contactId", "customFields", "locationId", "monetaryValue",
                   "name", "pipelineId", "pipelineStageId", "status"}),
        frozenset({"pipelineId", "locationId", "name", "status", "contactId"})),
    "UpdateOpportunityDto": BodyRule(
        frozenset({"assignedTo", "customFields", "monetaryValue", "name", "pipelineId",
                   "pipelineStageId", "status"})),
    "CreateCustomFieldsDTO": BodyRule(
        frozenset({"acceptedFormat", "dataType", "isMultipleFile", "maxNumberOfFiles", "model",
                   "name", "placeholder", "position", "textBoxListOptions"}),
        frozenset({"name", "dataType"})),
}


# `dateOfBirth` on create, update and upsert: "Supported formats: ..." in the DTOs'
# description, in its order (`tests/ghl/test_contract.py` checks it against the spec).
BIRTH_DATE_FORMATS: tuple[str, ...] = (
    "YYYY/MM/DD", "MM/DD/YYYY", "YYYY-MM-DD", "MM-DD-YYYY",
    "YYYY.MM.DD", "MM.DD.YYYY", "YYYY_MM_DD", "MM_DD_YYYY",
)


def _format_pattern(spelling: str) -> re.Pattern[str]:
    parts = re.split(r"(YYYY|MM|DD)", spelling)
    groups = {"YYYY": r"(?P<year>\d{4})", "MM": r"(?P<month>\d{2})", "DD": r"(?P<day>\d{2})"}
    return re.compile("".join(groups.get(part, re.escape(part)) for part in parts))


_BIRTH_DATE_PATTERNS = tuple(_format_pattern(f) for f in BIRTH_DATE_FORMATS)


def birth_date_parse(value: Any) -> date | None:
    """A `dateOfBirth` as GoHighLevel takes it: null clears it, else one of the listed
    formats naming a real day. ValueError for anything else."""
    if value is None:
        return None
    if isinstance(value, str):
        for pattern in _BIRTH_DATE_PATTERNS:
            found = pattern.fullmatch(value)
            if found:
                return date(int(found["year"]), int(found["month"]), int(found["day"]))
    raise ValueError(value)


def birth_date_problems(body: Mapping[str, Any]) -> list[str]:
    if "dateOfBirth" not in body:
        return []
    try:
        birth_date_parse(body["dateOfBirth"])
    except ValueError:
        return ["dateOfBirth must be a valid date in one of the formats "
                + ", ".join(BIRTH_DATE_FORMATS)]
    return []


def body_problems(body: Any, rule: BodyRule) -> list[str]:
    """The 422 messages for `body`, in GoHighLevel's class-validator wording; empty if valid."""
    if not isinstance(body, dict):
        return ["body must be a JSON object"]
    problems = [f"property {k} should not exist" for k in body if k not in rule.allowed]
    problems += [f"{k} should not be empty" for k in sorted(rule.required)
                 if body.get(k) in (None, "", [])]
    if "dateOfBirth" in rule.allowed:
        problems += birth_date_problems(body)
    if rule.custom_fields:
        for index, item in enumerate(body.get("customFields") or []):
            if not isinstance(item, dict):
                problems.append(f"customFields.{index} must be an object")
                continue
            problems += [f"customFields.{index}.property {k} should not exist"
                         for k in item if k not in CUSTOM_FIELD_ITEM]
    return problems


def unprocessable(problems: list[str]) -> dict[str, Any]:
    return {"statusCode": 422, "message": problems, "error": "Unprocessable Entity"}
