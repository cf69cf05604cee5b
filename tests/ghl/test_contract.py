"""Contract: what the client sends and what the sandbox answers both match the v2 specs."""

from __future__ import annotations

import json
from datetime import date

import pytest
import requests
from openapi_core.exceptions import OpenAPIError

from integrations.clock import SimulatedClock
from integrations.ghl.auth import AgencyTokenSource, OAuthTokenSource
from integrations.ghl.client import ContactInput, GhlClient
from integrations.ghl.fields import custom_fields_ensure
from integrations.ghl.oauth import API_VERSION, OAuthApp
from integrations.ghl.sandbox.schema import BIRTH_DATE_FORMATS, BODY_RULES, CUSTOM_FIELD_ITEM
from integrations.ghl.tokens import InMemoryTokenStore
from tests.ghl.conftest import BASE, RecordingAdapter, connect, control
from tests.ghl.contract import (
    birth_date_formats,
    exchange_validate,
    spec_dict,
    undeclared_properties,
)


def _everything(client: GhlClient, session: requests.Session, location_id: str) -> None:
    """Every client method, a refresh after a 401, and a few error answers."""
    fields = custom_fields_ensure(client=client)
    contact = client.contact_upsert(contact=ContactInput(
        email="Full@Example.com", phone="+1 415 555 0142", first_name="Full", last_name="Path",
        date_of_birth=date(1980, 1, 2), source="AX Connect",
        custom_fields={fields["nxt_patient_id"].id: "99", fields["next_visit_date"].id:
                       date(2026, 3, 12), fields["invoice_paid_amount"].id: 120.0})).contact
    client.contact_get(contact_id=contact.id)
    client.contact_update(contact_id=contact.id,
                          custom_fields={fields["nxt_payment_status"].id: "active"})
    client.contact_birthdate_set(contact_id=contact.id, date_of_birth=date(1980, 1, 3))
    client.contact_tags_add(contact_id=contact.id, tags=["x"])
    client.contact_tags_remove(contact_id=contact.id, tags=["x"])
    client.note_create(contact_id=contact.id, body="note")
    workflow = client.workflows_list()[0]
    client.contact_workflow_add(contact_id=contact.id, workflow_id=workflow.id)
    client.contact_workflow_remove(contact_id=contact.id, workflow_id=workflow.id)
    pipeline = client.pipelines_list()[0]
    opportunity = client.opportunity_create(contact_id=contact.id, pipeline_id=pipeline.id,
                                            stage_id=pipeline.stages[0].id, name="Full Path",
                                            monetary_value=10.0)
    client.opportunity_update(opportunity_id=opportunity.id, stage_id=pipeline.stages[1].id,
                              status="won", monetary_value=20.0)
    list(client.opportunities_search(contact_id=contact.id, pipeline_id=pipeline.id))
    list(client.contacts_search(query="full"))
    list(client.contacts_with_tag(tag="NXT-Create"))
    client.users_list()
    assert client.location_get().id == location_id
    control(session, "POST", f"/locations/{location_id}/revoke-access-tokens")
    client.users_list()


def test_every_request_and_response_matches_the_spec(
        client: GhlClient, adapter: RecordingAdapter, session: requests.Session,
        location_id: str, oauth_app: OAuthApp, clock: SimulatedClock) -> None:
    _everything(client, session, location_id)
    company = connect(app=oauth_app, session=session, location_id=location_id, clock=clock,
                      user_type="Company")
    agency = AgencyTokenSource(
        company=OAuthTokenSource(store=InMemoryTokenStore(company), app=oauth_app,
                                 location_id=location_id, session=session, clock=clock),
        app=oauth_app, location_id=location_id, session=session, clock=clock)
    GhlClient(tokens=agency, base_url=BASE, session=session, clock=clock).users_list()

    checked = [(r.method, r.path_url.split("?")[0], s.status_code, exchange_validate(r, s))
               for r, s in adapter.exchanges]
    covered = [c for c in checked if c[3]]
    assert {c[3] for c in covered} == {"contacts", "opportunities", "locations", "workflows",
                                       "oauth", "users"}
    assert {c[2] for c in covered} >= {200, 201, 401}  # errors validate too
    assert [c for c in checked if c[1].startswith(("/contacts", "/oauth/token"))
            and not c[3]] == []


def test_the_client_sends_no_undeclared_property(client: GhlClient, adapter: RecordingAdapter,
                                                 session: requests.Session,
                                                 location_id: str) -> None:
    _everything(client, session, location_id)
    sent = [r for r, _ in adapter.exchanges if r.body and "/_sandbox" not in r.path_url]
    assert len(sent) > 15
    assert {r.path_url: undeclared_properties(r) for r in sent
            if undeclared_properties(r)} == {}


def test_the_undeclared_property_check_can_fail() -> None:
    request = requests.Request("POST", f"{BASE}/contacts/upsert", json={
        "locationId": "l", "gender": "x", "customFields": [{"id": "f", "value": "v"}],
        "additionalEmails": []}).prepare()
    assert undeclared_properties(request) == ["body.customFields[0].value",
                                              "body.additionalEmails"]


@pytest.mark.parametrize("dto,spec", [(dto, spec) for dto, spec in (
    ("UpsertContactDto", "contacts"), ("UpdateContactDto", "contacts"), ("TagsDTO", "contacts"),
    ("NotesDTO", "contacts"), ("CreateWorkflowDto", "contacts"), ("SearchBodyV2DTO", "contacts"),
    ("CreateDto", "opportunities"), ("UpdateOpportunityDto", "opportunities"),
    ("CreateCustomFieldsDTO", "locations"))])
def test_the_sandbox_accepts_exactly_the_declared_properties(dto: str, spec: str) -> None:
    schema = spec_dict(spec)["components"]["schemas"][dto]
    assert BODY_RULES[dto].allowed == set(schema["properties"])
    assert BODY_RULES[dto].required == set(schema.get("required", []))


def test_custom_field_items_accept_exactly_id_key_field_value() -> None:
    schema = spec_dict("contacts")["components"]["schemas"]["TextField"]
    assert set(schema["properties"]) == CUSTOM_FIELD_ITEM


@pytest.mark.parametrize("path,body", [
    ("/contacts/upsert", {"email": "a@example.com", "additionalEmails": ["b@example.com"]}),
    ("/contacts/upsert", {"email": "a@example.com",
                          "customFields": [{"id": "f", "fieldValue": "v"}]}),
])
def test_the_sandbox_answers_422_to_undeclared_properties(
        path: str, body: dict[str, object], session: requests.Session, location_id: str,
        store: InMemoryTokenStore, sandbox: object) -> None:
    pair = store.load()
    assert pair is not None
    response = session.post(f"{BASE}{path}", json={"locationId": location_id, **body}, timeout=5,
                            headers={"Authorization": f"Bearer {pair.access_token}",
                                     "Version": API_VERSION})
    assert response.status_code == 422
    assert response.json()["error"] == "Unprocessable Entity"
    assert "should not exist" in json.dumps(response.json()["message"])


@pytest.mark.parametrize("dto", ["CreateContactDto", "UpsertContactDto", "UpdateContactDto"])
def test_the_sandbox_takes_the_birth_date_formats_the_spec_lists(dto: str) -> None:
    assert birth_date_formats(dto) == list(BIRTH_DATE_FORMATS)


def _authorized(store: InMemoryTokenStore) -> dict[str, str]:
    pair = store.load()
    assert pair is not None
    return {"Authorization": f"Bearer {pair.access_token}", "Version": API_VERSION}


@pytest.mark.parametrize("sent", ["1990/09/25", "09/25/1990", "1990-09-25", "09-25-1990",
                                  "1990.09.25", "09.25.1990", "1990_09_25", "09_25_1990"])
def test_every_documented_birth_date_format_is_stored_as_that_day(
        sent: str, client: GhlClient, session: requests.Session, location_id: str,
        store: InMemoryTokenStore) -> None:
    response = session.post(f"{BASE}/contacts/upsert", timeout=5, headers=_authorized(store),
                            json={"locationId": location_id, "email": "dob@example.com",
                                  "dateOfBirth": sent})
    assert response.status_code == 200, response.text
    contact = client.contact_get(contact_id=response.json()["contact"]["id"])
    assert contact.date_of_birth == date(1990, 9, 25)


@pytest.mark.parametrize("sent", ["1990-9-25", "25/09/1990", "1990-02-30", "Sept 25, 1990",
                                  "1990-09-25T00:00:00.000Z", "", 19900925])
def test_the_sandbox_answers_422_to_a_birth_date_in_no_documented_format(
        sent: object, client: GhlClient, session: requests.Session, location_id: str,
        store: InMemoryTokenStore) -> None:
    contact = client.contact_upsert(contact=ContactInput(email="dob@example.com")).contact
    for method, path, body in (
            ("POST", "/contacts/upsert", {"locationId": location_id, "email": "d@example.com"}),
            ("PUT", f"/contacts/{contact.id}", {})):
        response = session.request(method, f"{BASE}{path}", timeout=5,
                                   headers=_authorized(store), json={**body, "dateOfBirth": sent})
        assert response.status_code == 422, (method, response.text)
        assert response.json()["error"] == "Unprocessable Entity"
        assert "dateOfBirth" in json.dumps(response.json()["message"])
    assert client.contact_get(contact_id=contact.id).date_of_birth is None


def test_the_contract_check_rejects_a_birth_date_in_no_documented_format(
        client: GhlClient, adapter: RecordingAdapter) -> None:
    client.contact_upsert(contact=ContactInput(email="dob@example.com",
                                               date_of_birth=date(1990, 9, 25)))
    request, response = adapter.exchanges[-1]
    assert json.loads(request.body or b"{}")["dateOfBirth"] == "1990-09-25"
    assert exchange_validate(request, response) == "contacts"
    request.prepare_body(data=None, files=None, json={
        **json.loads(request.body or b"{}"), "dateOfBirth": "25 Sep 1990"})
    with pytest.raises(OpenAPIError):
        exchange_validate(request, response)
