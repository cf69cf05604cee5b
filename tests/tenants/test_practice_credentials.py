"""A practice read with its credentials (as the tick reads it) builds both clients
without another query; read without them, its credentials are read when needed."""

from __future__ import annotations

import uuid

import pytest

from integrations.http import ApiError
from tenants.ghl.client import ghl_client_for
from tenants.models import GhlCredential, NextechCredential, Practice
from tenants.models.credentials import practice_with_credentials
from tenants.nextech_link import nextech_client_for

GUID = uuid.uuid4()


def _connect(practice: Practice) -> None:
    NextechCredential.objects.create(
        practice=practice, practice_guid=uuid.uuid4(), client_id="client", username="user",
        password="pa55word")  # noqa: S106 - a test's own credential
    GhlCredential.objects.create(practice=practice, auth_kind=GhlCredential.AuthKind.PRIVATE,
                                 location_id="loc-1", private_token="pit-token")  # noqa: S106


def test_a_practice_read_with_its_credentials_builds_its_clients_without_a_query(
        practice_a, django_assert_num_queries):
    _connect(practice_a)
    practice = practice_with_credentials(schema_name=practice_a.schema_name)

    with django_assert_num_queries(0):
        nextech = nextech_client_for(practice=practice)
        ghl = ghl_client_for(practice=practice)

    assert nextech.practice_id == str(practice.nextech_credential.practice_guid)
    assert ghl.tokens.location_id == "loc-1"


def test_credentials_changed_since_the_practice_was_read_are_the_ones_used(practice_a):
    _connect(practice_a)  # Django caches these on practice_a itself
    NextechCredential.objects.filter(practice=practice_a).update(practice_guid=GUID)

    assert nextech_client_for(practice=practice_a).practice_id == str(GUID)


def test_a_practice_read_with_no_credentials_is_not_connected(practice_a):
    practice = practice_with_credentials(schema_name=practice_a.schema_name)

    with pytest.raises(ApiError, match="not connected"):
        nextech_client_for(practice=practice)


def test_the_tick_s_read_of_a_practice_holds_what_the_orm_reads(practice_a):
    _connect(practice_a)
    practice = practice_with_credentials(schema_name=practice_a.schema_name)

    def values(instance):
        return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}

    assert values(practice) == values(Practice.objects.get(pk=practice_a.pk))
    for model, read in ((NextechCredential, practice.nextech_credential),
                        (GhlCredential, practice.ghl_credential)):
        assert values(read) == values(model.objects.get(practice=practice_a))
        assert read.practice is practice
    assert practice.nextech_credential.password == "pa55word"  # decrypted, not ciphertext
