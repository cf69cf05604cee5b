"""Polling: bounded, resumable, rate-limited, and robust to a bad page or a bad resource."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from integrations.http import ApiError
from integrations.nextech.sandbox import actions
from integrations.sandbox_kit.faults import Fault
from tests.nextech.conftest import SINCE, Rig, appointments_add


def test_polling_1000_changed_appointments_takes_20_list_calls_within_the_rate_limit(
        any_rig: Rig) -> None:
    appointments_add(any_rig.practice(), 1000)
    client = any_rig.client()
    feed = client.appointments_poll(since=SINCE)
    ids = [appointment.id for appointment in feed.items()]
    assert len(ids) == len(set(ids)) == 1000 and feed.complete
    stats = any_rig.stats()
    assert stats["GET /Appointment"]["requests"] == 20
    assert stats["POST /oauth2/token"]["requests"] == 1
    assert client.calls == 21
    assert all(endpoint["peak_per_second"] <= 20 for endpoint in stats.values())
    assert all(set(endpoint["statuses"]) == {"200"} for endpoint in stats.values())


def test_many_calls_to_one_endpoint_are_spread_to_20_per_second(rig: Rig) -> None:
    booked = appointments_add(rig.practice(), 1)
    client = rig.client()
    client.authenticate()
    started = rig.clock.monotonic()
    for _ in range(100):
        client.appointment_get(appointment_id=booked)
    stats = rig.stats()["GET /Appointment"]
    assert stats == {"requests": 100, "peak_per_second": 20, "statuses": {"200": 100}}
    assert rig.clock.monotonic() - started >= 4.0  # 100 calls at 20/s, waited on simulated time


def test_the_sandbox_answers_429_past_20_per_second(rig: Rig) -> None:
    booked = appointments_add(rig.practice(), 1)
    client = rig.client()
    client.wait_for_slot = lambda limiter_key: None  # type: ignore[method-assign]
    client.backoff_seconds = lambda *args: 1.0  # type: ignore[method-assign]
    for _ in range(25):
        client.appointment_get(appointment_id=booked)
    statuses = rig.stats()["GET /Appointment"]["statuses"]
    assert statuses["200"] == 25 and statuses["429"] == 1  # the 21st waited a second


def test_a_page_cap_bounds_a_tick_and_the_next_tick_resumes(rig: Rig) -> None:
    appointments_add(rig.practice(), 120)
    client = rig.client()
    first = client.appointments_poll(since=SINCE, max_pages=2)
    seen = [a.id for a in first.items()]
    assert len(seen) == 100 and not first.complete and first.resume_link
    second = client.appointments_poll(since=SINCE, max_pages=2, resume_link=first.resume_link)
    seen += [a.id for a in second.items()]
    assert second.complete and second.resume_link is None
    assert len(seen) == len(set(seen)) == 120


def test_the_cursor_is_sent_as_a_time_with_the_plus_encoded(rig: Rig) -> None:
    appointments_add(rig.practice(), 1)
    since = datetime(2026, 1, 5, 9, 30, tzinfo=UTC) - timedelta(minutes=5)
    list(rig.client().appointments_poll(since=since))
    query = rig.app.state.log[-1].query
    assert "_lastUpdated=ge2026-01-05T09:25:00%2B00:00" in query and "_count=50" in query


def test_a_server_older_than_14_3_is_polled_by_date(rig: Rig) -> None:
    appointments_add(rig.practice(server_version="14.2"), 3)
    appointments = list(rig.client().appointments_poll(
        since=datetime(2026, 1, 5, 9, tzinfo=UTC)).items())
    assert len(appointments) == 3 and appointments[0].last_updated is None  # no meta before 14.3
    assert "_lastUpdated=ge2026-01-04&" in rig.app.state.log[-1].query


def test_a_time_cursor_on_an_old_server_is_refused(rig: Rig) -> None:
    rig.practice(server_version="14.2")
    client = rig.client(server_version="17.0")  # misconfigured: the practice runs 14.2
    with pytest.raises(ApiError, match="only accepts yyyy-MM-dd"):
        list(client.appointments_poll(since=SINCE))


def test_malformed_json_is_retried_and_the_poll_completes(rig: Rig) -> None:
    appointments_add(rig.practice(), 60)
    client = rig.client()
    rig.app.state.faults.add(Fault(kind="malformed", remaining=1, path_prefix="/api/Appointment"))
    assert len(list(client.appointments_poll(since=SINCE).items())) == 60
    assert rig.stats()["GET /Appointment"]["requests"] == 3  # bad page, its retry, page 2


def test_a_resource_missing_parts_is_reported_and_the_rest_of_the_page_parses(rig: Rig) -> None:
    practice = rig.practice()
    appointments_add(practice, 5)
    broken = list(practice.appointments.values())[2]
    broken.broken = ("start",)
    practice.touch(broken)
    pages = list(rig.client().appointments_poll(since=SINCE))
    assert len(pages[0].items) == 4
    (error,) = pages[0].errors
    assert (error.resource_id, error.problem) == (broken.id, "start is missing")
    assert str(error) == f"Appointment {broken.id}: start is missing"


def test_payment_polling_shows_voids_and_corrections(rig: Rig) -> None:
    practice = rig.practice("practiceplus")
    appointments_add(practice, 1)
    patient = next(iter(practice.patients))
    paid = actions.payment_add(practice, patient_id=patient, total=400, location_id="2",
                               practitioner_id="103", category="Injectables")
    actions.payment_void(practice, payment_id=paid.id, corrected_total=350)
    payments = {p.id: p for p in rig.client("practiceplus").payments_poll(since=SINCE).items()}
    active = [p for p in payments.values() if p.counts_toward_value]
    assert [p.total for p in active] == [350] and active[0].recreates == paid.id
    assert payments[paid.id].correction == "voided" and payments[paid.id].status == "cancelled"
    assert sum(p.total for p in payments.values()) == 350  # the void nets the original out


def test_backfill_search_returns_appointments_dated_in_the_window(rig):
    from datetime import datetime, time, timedelta

    from integrations.nextech.sandbox import actions
    from integrations.nextech.sandbox.seed import LOCAL

    practice = rig.practice()
    patient = actions.patient_add(practice, given="Ana", family="Ruiz", email="ana@example.com").id
    today = rig.clock.now().astimezone(LOCAL).date()
    for days in (-40, -3, 5, 200):
        actions.appointment_book(
            practice, patient_id=patient, location_id="1", practitioner_id="101", type_id="1",
            purpose_ids=[], start=datetime.combine(today + timedelta(days=days), time(9), LOCAL))
    feed = rig.client().appointments_between(start=today - timedelta(days=30),
                                             end=today + timedelta(days=180))
    found = sorted((a.start.astimezone(LOCAL).date() - today).days for a in feed.items())
    assert found == [-3, 5]
    assert feed.complete
