"""The sandbox as agencies use it: the control API seeds and changes a practice, the demo week
is realistic and repeatable, and practices never see each other's data."""

from __future__ import annotations

import json
from collections import Counter

from integrations.clock import SimulatedClock
from integrations.nextech.sandbox import PracticeConfig, make_app, seed_demo_week
from integrations.nextech.sandbox.control import practice_state_dump
from tests.nextech.conftest import PASSWORD, SELECT_PRACTICE, SINCE, Rig


def test_the_control_api_books_changes_and_cancels_what_the_client_then_polls(
        any_rig: Rig) -> None:
    any_rig.practice("select")
    base = f"/practices/{SELECT_PRACTICE}"
    patient = any_rig.control("POST", f"{base}/patients", {
        "given": "Noor", "family": "Okafor", "email": "noor@example.com",
        "phones": {"mobile": "4045550123"}, "birth_date": "1990-03-04", "postal_code": "30009"})
    booked = any_rig.control("POST", f"{base}/appointments", {
        "patient_id": patient["id"], "location_id": "2", "practitioner_id": "103",
        "type_id": "5", "purpose_ids": ["51", "52"], "start": "2026-01-07T10:00:00-05:00"})
    client = any_rig.client()
    labels = []
    for status in ("booked", "arrived", "In Room", "fulfilled"):
        any_rig.control("PATCH", f"{base}/appointments/{booked['id']}", {"status": status})
        (seen,) = client.appointments_poll(since=SINCE).items()
        labels.append((seen.status, seen.status_label))
    assert labels == [("booked", "Confirmed"), ("arrived", "In"), (None, "In Room"),
                      ("fulfilled", "Out")]
    assert [p.display for p in seen.purposes] == ["Botox", "Dermal Filler"]
    any_rig.control("PATCH", f"{base}/appointments/{booked['id']}", {"status": "cancelled"})
    again = any_rig.session.patch(f"{any_rig.base}/_sandbox{base}/appointments/{booked['id']}",
                                  json={"status": "cancelled"}, timeout=5)
    assert again.status_code == 422 and "already cancelled" in again.json()["error"]


def test_the_clock_moves_and_expired_tokens_are_refreshed(any_rig: Rig) -> None:
    any_rig.practice("select")
    client = any_rig.client()
    client.authenticate()
    moved = any_rig.control("POST", "/clock", {"advance_seconds": 7200})
    assert moved["now"].startswith("2026-01-05T16:00")
    assert client.locations_list().items
    assert any_rig.stats()["GET /Location"]["statuses"] == {"401": 1, "200": 1}


def test_a_practice_registered_over_the_control_api_reads_back_without_secrets(
        any_rig: Rig) -> None:
    any_rig.control("POST", "/practices", {
        "practice_id": "7d1c0b5e-0000-4000-8000-00000000d3m0", "flavor": "select",
        "client_id": "demo-client", "username": "demo@nextech-api.com", "password": PASSWORD,
        "resource": "https://select.nextech-api.com/api", "server_version": "16.9"})
    any_rig.control("POST", "/practices/7d1c0b5e-0000-4000-8000-00000000d3m0/locations",
                    {"name": "Aurora MedSpa - Alpharetta", "phone": "(678) 555-0172"})
    state = any_rig.control("GET", "/state")
    (practice,) = state["practices"]
    assert practice["config"]["server_version"] == "16.9"
    assert [loc["name"] for loc in practice["locations"]] == ["Aurora MedSpa - Alpharetta"]
    assert PASSWORD not in json.dumps(state)


def test_the_demo_week_is_a_realistic_plastic_surgery_and_med_spa_week(any_rig: Rig) -> None:
    any_rig.practice("select")
    counts = any_rig.control("POST", f"/practices/{SELECT_PRACTICE}/seed-demo-week", {})
    assert counts["patients"] == 30 and 40 <= counts["appointments"] <= 80
    client = any_rig.client()
    appointments = list(client.appointments_poll(since=SINCE).items())
    assert len(appointments) == counts["appointments"]
    kinds = Counter(a.appointment_type.display for a in appointments if a.appointment_type)
    assert {"Surgical Consult", "Cosmetic Surgery", "Pre-Op", "Post-Op", "Injectables",
            "Skin Treatment", "Block"} <= set(kinds)
    statuses = Counter(a.status_label for a in appointments)
    assert {"Pending", "Confirmed", "Out", "Cancelled", "No Show"} <= set(statuses)
    assert sum(a.is_block for a in appointments) == 5  # a staff block every day
    assert {a.location.id for a in appointments if a.location} == {"1", "2"}
    payments = list(client.payments_poll(since=SINCE).items())
    assert {p.status for p in payments} == {"active", "cancelled"}
    assert any(p.total < 0 for p in payments)  # a void's opposite entry
    assert len(list(client.patients_poll(since=SINCE).items())) == 30


def test_the_demo_week_is_the_same_every_time() -> None:
    dumps = []
    for _ in range(2):
        app = make_app(clock=SimulatedClock())
        practice = app.state.practice_register(PracticeConfig(practice_id="demo", flavor="select"))
        seed_demo_week(practice, seed=11)
        dumps.append(json.dumps(practice_state_dump(practice), sort_keys=True))
    assert dumps[0] == dumps[1]


def test_practices_only_see_their_own_data(rig: Rig) -> None:
    select = rig.practice("select")
    rig.practice("practiceplus")
    seed_demo_week(select)
    partner = rig.client("practiceplus")
    assert list(partner.appointments_poll(since=SINCE).items()) == []
    assert partner.appointment_statuses_list().items == ()  # Practice+ has no such resource
    assert len(rig.client("select").appointment_statuses_list().items) == 9
