"""`GhlClient`: one short method per GoHighLevel v2 endpoint the sync uses.

Bodies carry only properties the v2 spec declares (real GoHighLevel answers 422
to anything else [ISSUE:#262]); every method returns frozen dataclasses.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import quote, urlencode

from integrations.ghl.errors import SYSTEM
from integrations.ghl.models import (
    OPPORTUNITY_STATUSES,
    Contact,
    ContactUpsertResult,
    CustomField,
    Location,
    Note,
    Opportunity,
    Pipeline,
    User,
    Workflow,
    contact_parse,
    custom_field_parse,
    location_parse,
    note_parse,
    opportunity_parse,
    pipeline_parse,
    user_parse,
    workflow_parse,
)
from integrations.ghl.normalize import email_normalize, phone_normalize
from integrations.ghl.transport import GhlHttp
from integrations.http import ApiError, ErrorKind, follow_links

CONTACT_UPSERT = "/contacts/upsert"
CONTACT = "/contacts/{contact_id}"
CONTACT_TAGS = "/contacts/{contact_id}/tags"
CONTACT_NOTES = "/contacts/{contact_id}/notes"
CONTACT_WORKFLOW = "/contacts/{contact_id}/workflow/{workflow_id}"
CONTACTS_SEARCH = "/contacts/search"
WORKFLOWS = "/workflows/"
PIPELINES = "/opportunities/pipelines"
OPPORTUNITIES_SEARCH = "/opportunities/search"
OPPORTUNITIES = "/opportunities/"
OPPORTUNITY = "/opportunities/{opportunity_id}"
CUSTOM_FIELDS = "/locations/{location_id}/customFields"
LOCATION = "/locations/{location_id}"
USERS = "/users/"

SEARCH_PAGE_LIMIT = 100
SEARCH_MAX_PAGES = 100  # page-based contact search reaches 10,000 records, no further


@dataclass(frozen=True)
class ContactInput:
    """What the sync writes on a contact. `custom_fields` maps field id -> value."""

    email: str | None = None
    phone: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    date_of_birth: date | None = None
    source: str | None = None
    assigned_to: str | None = None  # a GoHighLevel user id (location routing)
    custom_fields: Mapping[str, Any] = field(default_factory=dict, hash=False)


def _path(template: str, **ids: str) -> str:
    return template.format(**{k: quote(v, safe="") for k, v in ids.items()})


def _field_value(value: Any) -> Any:
    # Dates go as YYYY-MM-DD: the CRM stores dates without a time [spec: "date-only"].
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def custom_fields_body(values: Mapping[str, Any]) -> list[dict[str, Any]]:
    """`{id, field_value}` items: `id` (not key) is the spelling that is never ignored."""
    return [{"id": field_id, "field_value": _field_value(v)} for field_id, v in values.items()]


class GhlClient(GhlHttp):
    """The endpoints, for the location its token source belongs to."""

    default_region = "US"

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.send(method, path, limiter_key=self.location_id, **kwargs)
        try:
            return response.json()
        except ValueError as exc:
            raise ApiError(SYSTEM, ErrorKind.RETRY, response.status_code,
                           "malformed JSON response") from exc

    # Contacts ---------------------------------------------------------------
    def contact_body(self, contact: ContactInput) -> dict[str, Any]:
        """The upsert body: normalized identifiers, never `tags` (they would overwrite all)."""
        try:
            phone = phone_normalize(contact.phone, region=self.default_region)
        except ValueError as exc:
            raise ApiError(SYSTEM, ErrorKind.RECORD, None, str(exc)) from None
        body: dict[str, Any] = {
            "locationId": self.location_id,
            "email": email_normalize(contact.email),
            "phone": phone,
            "firstName": contact.first_name,
            "lastName": contact.last_name,
            "source": contact.source,
            "dateOfBirth": contact.date_of_birth.isoformat() if contact.date_of_birth else None,
            "assignedTo": contact.assigned_to,
        }
        body = {k: v for k, v in body.items() if v is not None}
        if contact.custom_fields:
            body["customFields"] = custom_fields_body(contact.custom_fields)
        return body

    def contact_upsert(self, *, contact: ContactInput) -> ContactUpsertResult:
        if not (contact.email or contact.phone):
            raise ApiError(SYSTEM, ErrorKind.RECORD, None, "a contact needs an email or a phone")
        data = self._json("POST", CONTACT_UPSERT, json=self.contact_body(contact))
        return ContactUpsertResult(contact=contact_parse(data["contact"]),
                                   created=bool(data.get("new")))

    def contact_get(self, *, contact_id: str) -> Contact:
        return contact_parse(self._json("GET", _path(CONTACT, contact_id=contact_id))["contact"])

    def contact_update(self, *, contact_id: str, custom_fields: Mapping[str, Any] | None = None,
                       date_of_birth: date | None = None) -> Contact:
        """PUT only what is given; PUT rejects `locationId` and `gender` with 422."""
        body: dict[str, Any] = {}
        if custom_fields:
            body["customFields"] = custom_fields_body(custom_fields)
        if date_of_birth is not None:
            body["dateOfBirth"] = date_of_birth.isoformat()
        data = self._json("PUT", _path(CONTACT, contact_id=contact_id), json=body)
        return contact_parse(data["contact"])

    def contact_replace(self, *, contact_id: str, contact: ContactInput) -> Contact:
        """PUT a known contact by id: no duplicate matching, so no risk of landing on
        another person's contact that shares a phone or an email."""
        body = self.contact_body(contact)
        body.pop("locationId", None)  # PUT answers 422 to locationId
        data = self._json("PUT", _path(CONTACT, contact_id=contact_id), json=body)
        return contact_parse(data["contact"])

    def contact_birthdate_set(self, *, contact_id: str, date_of_birth: date) -> Contact:
        return self.contact_update(contact_id=contact_id, date_of_birth=date_of_birth)

    def contact_tags_add(self, *, contact_id: str, tags: Sequence[str]) -> tuple[str, ...]:
        data = self._json("POST", _path(CONTACT_TAGS, contact_id=contact_id),
                          json={"tags": list(tags)})
        return tuple(data.get("tags") or ())

    def contact_tags_remove(self, *, contact_id: str, tags: Sequence[str]) -> tuple[str, ...]:
        # DELETE with a JSON body: requests sends it, and the API requires it.
        data = self._json("DELETE", _path(CONTACT_TAGS, contact_id=contact_id),
                          json={"tags": list(tags)})
        return tuple(data.get("tags") or ())

    def note_create(self, *, contact_id: str, body: str, user_id: str | None = None) -> Note:
        payload: dict[str, Any] = {"body": body}
        if user_id:
            payload["userId"] = user_id
        data = self._json("POST", _path(CONTACT_NOTES, contact_id=contact_id), json=payload)
        return note_parse(data["note"])

    def notes_list(self, *, contact_id: str) -> tuple[Note, ...]:
        data = self._json("GET", _path(CONTACT_NOTES, contact_id=contact_id))
        return tuple(note_parse(raw) for raw in data.get("notes") or ())

    def contact_workflow_add(self, *, contact_id: str, workflow_id: str,
                             event_start_time: datetime | None = None) -> None:
        body = {"eventStartTime": event_start_time.isoformat()} if event_start_time else {}
        self._json("POST", _path(CONTACT_WORKFLOW, contact_id=contact_id,
                                 workflow_id=workflow_id), json=body)

    def contact_workflow_remove(self, *, contact_id: str, workflow_id: str) -> None:
        self._json("DELETE", _path(CONTACT_WORKFLOW, contact_id=contact_id,
                                   workflow_id=workflow_id), json={})

    def contacts_search(self, *, query: str | None = None,
                        filters: Sequence[Mapping[str, Any]] = (),
                        page_limit: int = SEARCH_PAGE_LIMIT) -> Iterator[Contact]:
        """All matching contacts, page by page. The index lags writes by seconds:
        never search to confirm an upsert, use its response."""
        for page in range(1, SEARCH_MAX_PAGES + 1):
            body: dict[str, Any] = {"locationId": self.location_id, "page": page,
                                    "pageLimit": page_limit}
            if query:
                body["query"] = query
            if filters:
                body["filters"] = [dict(f) for f in filters]
            contacts = self._json("POST", CONTACTS_SEARCH, json=body).get("contacts") or []
            yield from (contact_parse(c) for c in contacts)
            if len(contacts) < page_limit:
                return

    def contacts_with_tag(self, *, tag: str) -> Iterator[Contact]:
        """Contacts carrying `tag` (advanced search; `eq` on tags means "has this tag")."""
        return self.contacts_search(filters=[{"field": "tags", "operator": "eq", "value": tag}])

    # The sub-account ----------------------------------------------------------
    def location_get(self) -> Location:
        """The sub-account the token belongs to (its name is what staff recognise)."""
        data = self._json("GET", _path(LOCATION, location_id=self.location_id))
        return location_parse(data["location"])

    # Workflows, users -------------------------------------------------------
    def workflows_list(self) -> tuple[Workflow, ...]:
        data = self._json("GET", WORKFLOWS, params={"locationId": self.location_id})
        return tuple(workflow_parse(w) for w in data.get("workflows") or [])

    def users_list(self) -> tuple[User, ...]:
        data = self._json("GET", USERS, params={"locationId": self.location_id})
        return tuple(user_parse(u) for u in data.get("users") or [])

    # Pipelines and opportunities -------------------------------------------
    def pipelines_list(self) -> tuple[Pipeline, ...]:
        data = self._json("GET", PIPELINES, params={"locationId": self.location_id})
        return tuple(pipeline_parse(p) for p in data.get("pipelines") or [])

    def opportunities_search(self, *, contact_id: str | None = None,
                             pipeline_id: str | None = None,
                             status: str | None = None) -> Iterator[Opportunity]:
        """GET search takes snake_case query parameters, unlike the rest of the API."""
        params = {"location_id": self.location_id, "contact_id": contact_id,
                  "pipeline_id": pipeline_id, "status": status, "limit": SEARCH_PAGE_LIMIT}
        first = f"{OPPORTUNITIES_SEARCH}?{urlencode({k: v for k, v in params.items() if v})}"

        def fetch(link: str) -> tuple[list[Any], str | None]:
            data = self._json("GET", link)
            return data.get("opportunities") or [], (data.get("meta") or {}).get("nextPageUrl")

        for page in follow_links(first, fetch):
            yield from (opportunity_parse(o) for o in page)

    def opportunity_create(self, *, contact_id: str, pipeline_id: str, stage_id: str, name: str,
                           status: str = "open",
                           monetary_value: float | None = None) -> Opportunity:
        body: dict[str, Any] = {"locationId": self.location_id, "contactId": contact_id,
                                "pipelineId": pipeline_id, "pipelineStageId": stage_id,
                                "name": name, "status": _status_checked(status)}
        if monetary_value is not None:
            body["monetaryValue"] = monetary_value
        return opportunity_parse(self._json("POST", OPPORTUNITIES, json=body)["opportunity"])

    def opportunity_update(self, *, opportunity_id: str, pipeline_id: str | None = None,
                           stage_id: str | None = None, status: str | None = None,
                           monetary_value: float | None = None,
                           name: str | None = None) -> Opportunity:
        body = {"pipelineId": pipeline_id, "pipelineStageId": stage_id, "name": name,
                "status": _status_checked(status) if status else None,
                "monetaryValue": monetary_value}
        data = self._json("PUT", _path(OPPORTUNITY, opportunity_id=opportunity_id),
                          json={k: v for k, v in body.items() if v is not None})
        return opportunity_parse(data["opportunity"])

    # Custom fields ----------------------------------------------------------
    def custom_fields_list(self, *, model: str = "contact") -> tuple[CustomField, ...]:
        data = self._json("GET", _path(CUSTOM_FIELDS, location_id=self.location_id),
                          params={"model": model})
        return tuple(custom_field_parse(f) for f in data.get("customFields") or [])

    def custom_field_create(self, *, name: str, data_type: str,
                            model: str = "contact") -> CustomField:
        data = self._json("POST", _path(CUSTOM_FIELDS, location_id=self.location_id),
                          json={"name": name, "dataType": data_type, "model": model})
        return custom_field_parse(data["customField"])


def _status_checked(status: str) -> str:
    if status not in OPPORTUNITY_STATUSES:
        raise ValueError(f"opportunity status must be one of {OPPORTUNITY_STATUSES}")
    return status
