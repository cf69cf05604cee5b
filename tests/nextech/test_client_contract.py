"""The shared client contract, run against the sandbox in-process and over real HTTP:
paging ends, a repeated link raises, 401 refreshes then becomes a config error, 429 backs
off then succeeds, every request has a timeout, no secret reaches the logs."""

from __future__ import annotations

import logging
from datetime import datetime

import pytest

from integrations.http import DEFAULT_TIMEOUT, ApiError, ErrorKind, RepeatedLinkError
from integrations.nextech import InMemoryTokenStore, PatientAlreadyExists, PatientDraft
from integrations.sandbox_kit.faults import Fault
from tests.nextech.conftest import PARTNER_SECRET, PASSWORD, SINCE, Rig, appointments_add


def test_paging_ends_after_the_last_page(any_rig: Rig) -> None:
    appointments_add(any_rig.practice(), 25)
    client = any_rig.client(page_size=10)
    feed = client.appointments_poll(since=SINCE)
    pages = [len(page.items) for page in feed]
    assert pages == [10, 10, 5] and feed.complete and feed.resume_link is None
    assert any_rig.stats()["GET /Appointment"]["requests"] == 3


def test_a_repeated_next_link_raises_instead_of_looping(any_rig: Rig) -> None:
    practice = any_rig.practice()
    appointments_add(practice, 3)
    practice.config.repeat_next_link = True  # the docs' sample: `next` always at offset 0
    with pytest.raises(RepeatedLinkError):
        list(any_rig.client().appointments_poll(since=SINCE))
    assert any_rig.stats()["GET /Appointment"]["requests"] == 2


def test_a_401_refreshes_once_and_the_call_succeeds(any_rig: Rig) -> None:
    appointments_add(any_rig.practice(), 2)
    client = any_rig.client()
    client.authenticate()
    any_rig.control("POST", f"/practices/{client.practice_id}/tokens/revoke", {"refresh": False})
    assert len(list(client.appointments_poll(since=SINCE).items())) == 2
    stats = any_rig.stats()
    assert stats["GET /Appointment"]["statuses"] == {"401": 1, "200": 1}
    assert stats["POST /oauth2/token"]["requests"] == 2  # sign-in, then one refresh


def test_a_401_after_refreshing_is_a_config_error(any_rig: Rig) -> None:
    practice = any_rig.practice()
    appointments_add(practice, 2)
    practice.config.reject_tokens = True  # the API user lost access in Nextech
    with pytest.raises(ApiError) as caught:
        list(any_rig.client().appointments_poll(since=SINCE))
    assert caught.value.kind is ErrorKind.CONFIG and caught.value.status == 401
    assert any_rig.stats()["GET /Appointment"]["requests"] == 2  # tried, refreshed, tried


def test_429_backs_off_then_succeeds(any_rig: Rig) -> None:
    appointments_add(any_rig.practice(), 4)
    client = any_rig.client()
    client.authenticate()
    any_rig.control("POST", "/faults", {"kind": "429", "remaining": 3,
                                        "path_prefix": "/api/Appointment"})
    started = any_rig.clock.monotonic()
    assert len(list(client.appointments_poll(since=SINCE).items())) == 4
    # 0.5-1 s, 1-2 s, 2-4 s of jittered backoff, on simulated time.
    assert 3.5 <= any_rig.clock.monotonic() - started <= 7.0
    statuses = any_rig.stats()["GET /Appointment"]["statuses"]
    assert statuses == {"429": 3, "200": 1}


def test_5xx_is_retried_with_a_cap(any_rig: Rig) -> None:
    booked = appointments_add(any_rig.practice(), 1)
    client = any_rig.client()
    any_rig.control("POST", "/faults", {"kind": "500", "remaining": 2, "path_prefix": "/api/"})
    assert client.appointment_get(appointment_id=booked).id == booked
    any_rig.control("POST", "/faults", {"kind": "503", "remaining": 50, "path_prefix": "/api/"})
    with pytest.raises(ApiError) as caught:
        client.appointment_get(appointment_id=booked)
    assert caught.value.kind is ErrorKind.RETRY and caught.value.status == 503
    assert any_rig.stats()["GET /Appointment"]["statuses"]["503"] == client.max_attempts


def test_every_request_carries_a_timeout(any_rig: Rig) -> None:
    appointments_add(any_rig.practice(), 12)
    client = any_rig.client(page_size=5)
    list(client.appointments_poll(since=SINCE))
    client.appointment_types_list()
    client.patients_search(family="Quill")
    seen = any_rig.adapter.timeouts_seen
    # token, 3 appointment pages, 2 pages of the 8 types, 1 search
    assert len(seen) == client.calls == 7
    assert all(timeout == DEFAULT_TIMEOUT for timeout in seen)


def test_no_secret_reaches_the_logs(any_rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    appointments_add(any_rig.practice("select"), 3)
    appointments_add(any_rig.practice("practiceplus"), 3)
    store = InMemoryTokenStore()
    select = any_rig.client("select", token_store=store)
    list(select.appointments_poll(since=SINCE))
    any_rig.control("POST", f"/practices/{select.practice_id}/tokens/revoke", {"refresh": False})
    list(select.appointments_poll(since=SINCE))  # 401, refresh
    assert store.tokens is not None
    any_rig.control("POST", "/faults", {"kind": "429", "remaining": 1})
    partner = any_rig.client("practiceplus")
    list(partner.payments_poll(since=SINCE))
    with pytest.raises(PatientAlreadyExists):
        for _ in range(2):
            partner.patient_create(draft=PatientDraft(
                given="Ada", family="Quill", email="ada@example.com", phone="4045550100",
                birth_date=datetime(1980, 1, 2).date(), postal_code="30305",
                general_practitioner_id="101", referral_source_id="3", patient_status="Active"))
    secrets = [PASSWORD, PARTNER_SECRET, store.tokens.access_token, str(store.tokens.refresh_token),
               *any_rig.app.state.access_tokens]
    assert caplog.records  # something was logged, so the check below means something
    for secret in secrets:
        assert secret not in caplog.text
    assert PASSWORD not in repr(select.tokens.credentials)
    assert store.tokens.access_token not in repr(store.tokens)


def test_a_wrong_practice_id_is_a_config_error(rig: Rig) -> None:
    rig.practice()
    client = rig.client(practice_id="00000000-0000-0000-0000-000000000000")
    with pytest.raises(ApiError) as caught:
        client.appointment_types_list()
    assert caught.value.kind is ErrorKind.CONFIG and caught.value.status == 403


def test_a_timeout_is_retried_then_the_call_succeeds(rig: Rig) -> None:
    booked = appointments_add(rig.practice(), 1)
    client = rig.client()
    rig.app.state.faults.add(Fault(kind="timeout", remaining=1, path_prefix="/api/Appointment",
                                   delay_seconds=30))
    assert client.appointment_get(appointment_id=booked).status == "booked"
    assert rig.stats()["GET /Appointment"]["requests"] == 2
