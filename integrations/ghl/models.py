"""What the GoHighLevel client hands back: frozen dataclasses parsed at the edge.

Parsers are lenient about missing optional keys (real responses omit some, e.g.
`assignedTo` [ISSUE:#183]) and strict about the ids the engine depends on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from types import MappingProxyType
from typing import Any

OPPORTUNITY_STATUSES = ("open", "won", "lost", "abandoned")


def _frozen(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping))


def datetime_parse(raw: Any) -> datetime | None:
    """An ISO timestamp as an aware datetime; GoHighLevel writes `Z` for UTC."""
    if not raw or not isinstance(raw, str):
        return None
    parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def date_parse(raw: Any) -> date | None:
    """Birth dates come back as `YYYY-MM-DD` on reads and as ISO timestamps in webhooks."""
    if not raw or not isinstance(raw, str):
        return None
    return date.fromisoformat(raw[:10])


@dataclass(frozen=True)
class Contact:
    id: str
    location_id: str
    first_name: str | None
    last_name: str | None
    email: str | None
    phone: str | None
    date_of_birth: date | None
    tags: tuple[str, ...]
    # field id -> value: reads carry no field keys [ISSUE:#177]; map ids via custom_fields_list.
    custom_fields: Mapping[str, Any] = field(default_factory=dict, hash=False)
    date_added: datetime | None = None
    postal_code: str | None = None  # Nextech requires one to create a patient
    source: str | None = None  # free text: "facebook form", "public api"
    attribution_source: str | None = None  # first-touch attribution's UTM source, if any


@dataclass(frozen=True)
class ContactUpsertResult:
    contact: Contact
    created: bool


@dataclass(frozen=True)
class Note:
    id: str
    contact_id: str
    body: str
    date_added: datetime | None


@dataclass(frozen=True)
class Workflow:
    id: str
    name: str
    status: str

    @property
    def is_published(self) -> bool:
        return self.status == "published"


@dataclass(frozen=True)
class PipelineStage:
    id: str
    name: str


@dataclass(frozen=True)
class Pipeline:
    id: str
    name: str
    stages: tuple[PipelineStage, ...]

    def stage_named(self, name: str) -> PipelineStage | None:
        return next((s for s in self.stages if s.name.casefold() == name.casefold()), None)


@dataclass(frozen=True)
class Opportunity:
    id: str
    name: str
    contact_id: str
    pipeline_id: str
    stage_id: str | None
    status: str
    monetary_value: float | None


@dataclass(frozen=True)
class CustomField:
    id: str
    name: str
    field_key: str
    data_type: str
    model: str


@dataclass(frozen=True)
class Location:
    """A sub-account: what staff call it, and the agency (company) it belongs to."""

    id: str
    name: str
    company_id: str


@dataclass(frozen=True)
class User:
    id: str
    name: str
    email: str | None


def contact_parse(raw: Mapping[str, Any]) -> Contact:
    values = {str(cf["id"]): cf.get("value") for cf in raw.get("customFields") or [] if "id" in cf}
    return Contact(
        id=str(raw["id"]),
        location_id=str(raw.get("locationId", "")),
        first_name=raw.get("firstName"),
        last_name=raw.get("lastName"),
        email=raw.get("email"),
        phone=raw.get("phone"),
        date_of_birth=date_parse(raw.get("dateOfBirth")),
        tags=tuple(raw.get("tags") or ()),
        custom_fields=_frozen(values),
        date_added=datetime_parse(raw.get("dateAdded")),
        postal_code=raw.get("postalCode"),
        source=raw.get("source"),
        attribution_source=_utm_source(raw.get("attributionSource")),
    )


def _utm_source(attribution: Any) -> str | None:
    return attribution.get("utmSource") if isinstance(attribution, Mapping) else None


def note_parse(raw: Mapping[str, Any]) -> Note:
    return Note(id=str(raw["id"]), contact_id=str(raw.get("contactId", "")),
                body=str(raw.get("body", "")), date_added=datetime_parse(raw.get("dateAdded")))


def workflow_parse(raw: Mapping[str, Any]) -> Workflow:
    return Workflow(id=str(raw["id"]), name=str(raw.get("name", "")),
                    status=str(raw.get("status", "")))


def pipeline_parse(raw: Mapping[str, Any]) -> Pipeline:
    # The spec types stages as "array of array"; real stages are {id, name} objects.
    stages = tuple(PipelineStage(id=str(s["id"]), name=str(s.get("name", "")))
                   for s in raw.get("stages") or [] if isinstance(s, Mapping))
    return Pipeline(id=str(raw["id"]), name=str(raw.get("name", "")), stages=stages)


def opportunity_parse(raw: Mapping[str, Any]) -> Opportunity:
    value = raw.get("monetaryValue")
    return Opportunity(
        id=str(raw["id"]),
        name=str(raw.get("name", "")),
        contact_id=str(raw.get("contactId", "")),
        pipeline_id=str(raw.get("pipelineId", "")),
        stage_id=raw.get("pipelineStageId"),
        status=str(raw.get("status", "")),
        monetary_value=float(value) if value is not None else None,
    )


def custom_field_parse(raw: Mapping[str, Any]) -> CustomField:
    return CustomField(id=str(raw["id"]), name=str(raw.get("name", "")),
                       field_key=str(raw.get("fieldKey", "")),
                       data_type=str(raw.get("dataType", "")), model=str(raw.get("model", "")))


def user_parse(raw: Mapping[str, Any]) -> User:
    name = raw.get("name") or " ".join(filter(None, (raw.get("firstName"), raw.get("lastName"))))
    return User(id=str(raw["id"]), name=str(name), email=raw.get("email"))


def location_parse(raw: Mapping[str, Any]) -> Location:
    return Location(id=str(raw["id"]), name=str(raw.get("name") or ""),
                    company_id=str(raw.get("companyId") or ""))
