"""The client against the sandbox: what a practice would notice in its CRM."""

from __future__ import annotations

import logging
from datetime import date

import pytest
import requests

from integrations.clock import SimulatedClock
from integrations.ghl.client import ContactInput, GhlClient
from integrations.ghl.errors import DailyLimitExhausted
from integrations.ghl.fields import ALL_FIELDS, custom_fields_ensure
from integrations.ghl.sandbox import GhlSandbox
from integrations.ghl.tokens import InMemoryTokenStore
from integrations.http import ApiError, ErrorKind
from tests.ghl.conftest import CLIENT_SECRET, ClientFactory, RecordingAdapter, control


def test_upsert_normalizes_identifiers_and_writes_custom_fields_by_id(
        client: GhlClient, session: requests.Session, location_id: str) -> None:
    fields = custom_fields_ensure(client=client)
    result = client.contact_upsert(contact=ContactInput(
        email="  Dana.Smith@Example.COM ", phone="(415) 555-0123", first_name="Dana",
        last_name="Smith", date_of_birth=date(1985, 4, 2),
        custom_fields={fields["nxt_patient_id"].id: "4711",
                       fields["next_visit_date"].id: date(2026, 3, 12),
                       fields["patient_lifetime_value"].id: 1250.5}))

    assert result.created
    assert (result.contact.email, result.contact.phone) == ("dana.smith@example.com",
                                                            "+14155550123")
    state = control(session, "GET", f"/locations/{location_id}/state")
    assert state["contacts"][0]["customFields"] == {
        "contact.nxt_patient_id": "4711", "contact.next_visit_date": "2026-03-12",
        "contact.patient_lifetime_value": 1250.5}
    assert state["ignoredCustomFieldWrites"] == 0


def test_upsert_never_overwrites_tags_staff_added(client: GhlClient,
                                                  adapter: RecordingAdapter) -> None:
    first = client.contact_upsert(contact=ContactInput(email="tag@example.com"))
    client.contact_tags_add(contact_id=first.contact.id, tags=["VIP"])
    again = client.contact_upsert(contact=ContactInput(email="tag@example.com", first_name="T"))

    assert again.contact.tags == ("VIP",) and not again.created
    upserts = [r for r, _ in adapter.exchanges if r.path_url == "/contacts/upsert"]
    assert upserts and all(b'"tags"' not in (r.body or b"") for r in upserts)


def test_invalid_phone_is_a_record_error_not_a_silent_drop(client: GhlClient) -> None:
    with pytest.raises(ApiError) as caught:
        client.contact_upsert(contact=ContactInput(email="x@example.com", phone="555-0100"))
    assert caught.value.kind is ErrorKind.RECORD


def test_tags_notes_workflows_and_birthdate(client: GhlClient, session: requests.Session,
                                           location_id: str) -> None:
    contact = client.contact_upsert(contact=ContactInput(email="flow@example.com")).contact
    workflow = next(w for w in client.workflows_list() if w.name == "NXT Appointments Update")

    assert client.contact_tags_add(contact_id=contact.id, tags=["a", "b"]) == ("a", "b")
    assert client.contact_tags_remove(contact_id=contact.id, tags=["a"]) == ("b",)
    client.note_create(contact_id=contact.id, body="Appointment: Confirmed")
    client.contact_workflow_add(contact_id=contact.id, workflow_id=workflow.id)
    updated = client.contact_birthdate_set(contact_id=contact.id, date_of_birth=date(1990, 9, 25))

    assert updated.date_of_birth == date(1990, 9, 25)
    seen = control(session, "GET", f"/locations/{location_id}/state")["contacts"][0]
    assert seen["notes"][0]["body"] == "Appointment: Confirmed"
    assert seen["workflows"] == ["NXT Appointments Update"]
    client.contact_workflow_remove(contact_id=contact.id, workflow_id=workflow.id)
    seen = control(session, "GET", f"/locations/{location_id}/state")["contacts"][0]
    assert seen["workflows"] == []


def test_opportunity_moves_through_the_surgical_pipeline(client: GhlClient,
                                                         session: requests.Session,
                                                         location_id: str) -> None:
    contact = client.contact_upsert(contact=ContactInput(email="opp@example.com")).contact
    surgical = next(p for p in client.pipelines_list() if p.name == "Surgical")
    booked, complete = surgical.stage_named("Consult Booked"), surgical.stage_named(
        "Consult Complete")
    assert booked and complete

    created = client.opportunity_create(contact_id=contact.id, pipeline_id=surgical.id,
                                        stage_id=booked.id, name="Opp")
    client.opportunity_update(opportunity_id=created.id, stage_id=complete.id, status="won",
                              monetary_value=900.0)

    found = list(client.opportunities_search(contact_id=contact.id, pipeline_id=surgical.id))
    assert [(o.stage_id, o.status, o.monetary_value) for o in found] == [
        (complete.id, "won", 900.0)]
    state = control(session, "GET", f"/locations/{location_id}/state")
    assert state["opportunities"][0] | {"id": None} == {
        "id": None, "name": "Opp", "contactId": contact.id, "pipeline": "Surgical",
        "stage": "Consult Complete", "status": "won", "monetaryValue": 900.0}


def test_opportunity_search_follows_every_page(client: GhlClient) -> None:
    pipeline = client.pipelines_list()[1]
    for n in range(130):
        contact = client.contact_upsert(contact=ContactInput(email=f"p{n}@example.com")).contact
        client.opportunity_create(contact_id=contact.id, pipeline_id=pipeline.id,
                                  stage_id=pipeline.stages[0].id, name=f"o{n}")
    assert len({o.id for o in client.opportunities_search(pipeline_id=pipeline.id)}) == 130


def test_custom_fields_ensure_creates_missing_fields_once(client: GhlClient,
                                                          sandbox: GhlSandbox) -> None:
    first = custom_fields_ensure(client=client)
    calls = dict(sandbox.state.counters)
    second = custom_fields_ensure(client=client)

    assert len(first) == len(ALL_FIELDS) == 20
    assert {k: f.id for k, f in first.items()} == {k: f.id for k, f in second.items()}
    assert first["nxt_birthday"].data_type == "DATE"
    assert first["nxt_appointment_time"].data_type == "TEXT"  # a DATE field has no time
    assert first["invoice_paid_amount"].data_type == "MONETORY"
    created = sandbox.state.counters["POST /locations/<location_id>/customFields"]
    assert created == calls["POST /locations/<location_id>/customFields"] == 20


def test_every_request_carries_a_timeout(client: GhlClient, adapter: RecordingAdapter) -> None:
    client.contact_upsert(contact=ContactInput(email="t@example.com"))
    client.users_list()
    assert adapter.timeouts_seen and all(t is not None for t in adapter.timeouts_seen)


def test_a_revoked_access_token_is_refreshed_once_and_the_call_succeeds(
        client: GhlClient, session: requests.Session, location_id: str,
        store: InMemoryTokenStore) -> None:
    before = store.load()
    control(session, "POST", f"/locations/{location_id}/revoke-access-tokens")

    assert client.users_list()
    after = store.load()
    assert before and after and after.access_token != before.access_token
    assert after.refresh_token != before.refresh_token and store.saves == 1


def test_a_token_about_to_expire_is_refreshed_before_the_call(
        client: GhlClient, clock: SimulatedClock, store: InMemoryTokenStore,
        sandbox: GhlSandbox) -> None:
    clock.advance(86399 - 60)  # one minute left: inside the refresh margin
    client.users_list()
    assert store.saves == 1 and sandbox.state.counters["GET /users/"] == 1  # no 401 first


def test_a_burst_429_waits_the_interval_and_succeeds(make_client: ClientFactory,
                                                     sandbox: GhlSandbox,
                                                     clock: SimulatedClock) -> None:
    other_worker, client = make_client(), make_client()
    for _ in range(100):  # another worker (own limiter) spends the whole window
        other_worker.workflows_list()
    started = clock.monotonic()

    assert client.workflows_list()
    assert 10.0 <= clock.monotonic() - started <= 10.5
    assert sandbox.state.counters["GET /workflows/"] == 102  # one 429, then the retry


def test_the_client_side_limiter_keeps_a_location_at_100_per_10_seconds(
        client: GhlClient, sandbox: GhlSandbox, clock: SimulatedClock) -> None:
    for _ in range(250):
        client.workflows_list()
    assert sandbox.state.counters["GET /workflows/"] == 250  # never a 429
    assert 20.0 <= clock.monotonic() < 21.0


def test_daily_exhaustion_stops_writes_until_the_reset_and_says_so(
        client: GhlClient, sandbox: GhlSandbox, session: requests.Session) -> None:
    control(session, "PUT", "/limits", json={"dailyLimit": 3})
    for _ in range(3):
        client.users_list()
    with pytest.raises(DailyLimitExhausted) as caught:
        client.contact_upsert(contact=ContactInput(email="late@example.com"))
    sent = sandbox.state.counters["POST /contacts/upsert"]
    with pytest.raises(DailyLimitExhausted):
        client.contact_upsert(contact=ContactInput(email="later@example.com"))

    assert caught.value.resets_at is not None
    assert f"writes stop until {caught.value.resets_at.isoformat()}" in str(caught.value)
    assert caught.value.resets_at.isoformat().endswith("T00:00:00+00:00")
    assert sandbox.state.counters["POST /contacts/upsert"] == sent  # no call was even sent


def test_no_token_or_secret_reaches_the_logs(client: GhlClient, session: requests.Session,
                                             location_id: str, store: InMemoryTokenStore,
                                             caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    old = store.load()
    control(session, "POST", f"/locations/{location_id}/revoke-access-tokens")
    client.contact_upsert(contact=ContactInput(email="log@example.com"))
    client.users_list()
    new = store.load()
    assert old and new
    secrets = {old.access_token, old.refresh_token, new.access_token, new.refresh_token,
               CLIENT_SECRET}
    logged = caplog.text + repr(old) + repr(new)
    assert not [s for s in secrets if s and s in logged]
    assert any("401" in r.getMessage() for r in caplog.records)  # the refresh was logged
