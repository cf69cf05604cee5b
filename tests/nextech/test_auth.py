"""Signing in to Nextech: both grants, refresh ahead of expiry, rotation, and the lapse warning."""

from __future__ import annotations

from datetime import timedelta

import pytest

from integrations.http import ApiError, ErrorKind
from integrations.nextech import (
    InMemoryTokenStore,
    PartnerCredentials,
    RefreshTokenExpired,
    SelectCredentials,
)
from tests.nextech.conftest import Rig


def test_select_signs_in_with_the_password_and_keeps_a_14_day_refresh_token(rig: Rig) -> None:
    rig.practice("select")
    store = InMemoryTokenStore()
    client = rig.client("select", token_store=store)
    client.appointment_types_list()
    assert store.tokens is not None and store.tokens.refresh_token
    assert store.tokens.access_expires_at == rig.clock.now() + timedelta(hours=1)
    assert client.refresh_token_expires_at() == rig.clock.now() + timedelta(days=14)
    assert not client.refresh_token_warning_due()


def test_an_access_token_is_refreshed_before_it_expires_and_the_refresh_token_rotates(
        rig: Rig) -> None:
    rig.practice("select")
    store = InMemoryTokenStore()
    client = rig.client("select", token_store=store)
    client.appointment_types_list()
    assert store.tokens is not None
    first_refresh = store.tokens.refresh_token
    rig.clock.advance(3600 - 30)  # inside the 60 s margin: refresh, never a 401
    client.appointment_types_list()
    assert store.tokens.refresh_token != first_refresh
    assert set(rig.stats()["GET /appointment-type"]["statuses"]) == {"200"}
    form_grants = [e.status for e in rig.app.state.log if e.endpoint == "POST /oauth2/token"]
    assert form_grants == [200, 200]
    assert first_refresh not in rig.app.state.refresh_tokens  # used once, then gone


def test_the_agency_is_warned_4_days_before_an_unused_refresh_token_lapses(rig: Rig) -> None:
    rig.practice("select")
    client = rig.client("select")
    client.authenticate()
    rig.clock.advance(timedelta(days=9, hours=23).total_seconds())
    assert not client.refresh_token_warning_due()
    rig.clock.advance(timedelta(hours=2).total_seconds())
    assert client.refresh_token_warning_due()


def test_a_lapsed_refresh_token_without_a_password_needs_a_human(rig: Rig) -> None:
    practice = rig.practice("select")
    store = InMemoryTokenStore()
    rig.client("select", token_store=store).authenticate()
    config = practice.config
    no_password = SelectCredentials(client_id=config.client_id, username=config.username)
    client = rig.client("select", token_store=store, credentials=no_password)
    rig.clock.advance(timedelta(days=15).total_seconds())
    with pytest.raises(RefreshTokenExpired) as caught:
        client.appointment_types_list()
    assert caught.value.kind is ErrorKind.CONFIG and "sign in to Nextech again" in str(caught.value)


def test_a_lapsed_refresh_token_with_the_password_on_file_signs_in_again(rig: Rig) -> None:
    rig.practice("select")
    client = rig.client("select")
    client.authenticate()
    rig.clock.advance(timedelta(days=15).total_seconds())
    assert client.appointment_types_list().items
    assert client.refresh_token_expires_at() == rig.clock.now() + timedelta(days=14)


def test_a_wrong_password_is_a_config_error(rig: Rig) -> None:
    practice = rig.practice("select")
    client = rig.client("select")
    practice.config.password = "changed-in-azure"  # reset in Azure, not yet in AX Connect
    with pytest.raises(ApiError) as caught:
        client.appointment_types_list()
    assert caught.value.kind is ErrorKind.CONFIG and "AADSTS50126" in str(caught.value)
    assert rig.stats()["POST /oauth2/token"]["requests"] == 1  # no hammering Azure


def test_practice_plus_signs_in_with_client_credentials_and_no_refresh_token(rig: Rig) -> None:
    rig.practice("practiceplus")
    store = InMemoryTokenStore()
    client = rig.client("practiceplus", token_store=store)
    assert client.practitioners_list().items
    assert store.tokens is not None and store.tokens.refresh_token is None
    assert client.refresh_token_expires_at() is None and not client.refresh_token_warning_due()
    rig.clock.advance(3600)
    client.practitioners_list()
    assert rig.stats()["POST /oauth2/token"]["requests"] == 2


def test_the_flavor_and_the_credentials_must_agree(rig: Rig) -> None:
    rig.practice("select")
    partner = PartnerCredentials(partner_id="partner-0042", partner_secret="not-for-select")
    with pytest.raises(ValueError, match="Practice\\+ signs in with partner credentials"):
        rig.client("select", credentials=partner)
