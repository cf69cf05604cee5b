"""Secrets are encrypted at rest, never shown back, and a wrong key fails loudly."""

from __future__ import annotations

import subprocess
import uuid

import pytest
from cryptography.fernet import Fernet
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.test import Client, override_settings

from tenants.crypto import SecretUnreadable
from tenants.models import NextechCredential, Practice
from tests.support.db import database_url, pg_dump_path
from tests.support.staff import staff_login

PASSWORD = "Plaintext-Nextech-Pa55word-" + uuid.uuid4().hex[:8]


def _raw_column(model: type, pk: int, column: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {model._meta.db_table} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


def test_secret_is_stored_as_ciphertext_and_read_back_as_plaintext(practice_a):
    credential = NextechCredential.objects.create(practice=practice_a, password=PASSWORD)
    raw = _raw_column(NextechCredential, credential.pk, "password")
    assert PASSWORD not in raw
    assert NextechCredential.objects.get(pk=credential.pk).password == PASSWORD


def test_wrong_key_raises_instead_of_returning_ciphertext(practice_a):
    credential = NextechCredential.objects.create(practice=practice_a, password=PASSWORD)
    with (
        override_settings(ENCRYPTION_KEYS=[Fernet.generate_key().decode()]),
        pytest.raises(SecretUnreadable),
    ):
        NextechCredential.objects.get(pk=credential.pk)


def test_rotation_command_reencrypts_every_secret_with_the_newest_key(practice_a, settings):
    old_key = settings.ENCRYPTION_KEYS[0]
    credential = NextechCredential.objects.create(practice=practice_a, password=PASSWORD)
    new_key = Fernet.generate_key().decode()
    settings.ENCRYPTION_KEYS = [new_key, old_key]
    call_command("rotate_encryption_keys", verbosity=0)
    settings.ENCRYPTION_KEYS = [new_key]  # the old key is retired
    assert NextechCredential.objects.get(pk=credential.pk).password == PASSWORD


def test_admin_never_renders_a_stored_secret(practice_a):
    NextechCredential.objects.create(practice=practice_a, password=PASSWORD)
    admin = User.objects.create_superuser("agency2", "a2@example.com", "correct horse 42")
    client = Client(HTTP_HOST="localhost")
    staff_login(client, admin)
    page = client.get(f"/admin/tenants/practice/{practice_a.pk}/change/").content.decode()
    assert "A value is stored (encrypted)" in page
    assert PASSWORD not in page


def test_blank_secret_in_the_admin_keeps_the_stored_one(practice_a):
    from tenants.admin_forms import NextechCredentialForm

    credential = NextechCredential.objects.create(practice=practice_a, password=PASSWORD)
    form = NextechCredentialForm(
        data={
            "base_url": credential.base_url,
            "token_url": credential.token_url,
            "username": "frontdesk",
            "password": "",
        },
        instance=credential,
    )
    assert form.is_valid(), form.errors
    form.save()
    assert NextechCredential.objects.get(pk=credential.pk).password == PASSWORD


def test_secret_does_not_appear_in_a_pg_dump(practices, django_db_blocker):
    # pg_dump is another process: the row must be committed, then removed by hand.
    with django_db_blocker.unblock():
        practice = Practice.objects.get(pk=practices["b"].pk)
        credential = NextechCredential.objects.create(practice=practice, password=PASSWORD)
        try:
            dump = subprocess.run(
                [pg_dump_path(), "--data-only", "--dbname", database_url()],
                capture_output=True,
                text=True,
                check=True,
                timeout=120,
            ).stdout
        finally:
            credential.delete()
    assert "tenants_nextechcredential" in dump  # the table was dumped...
    assert PASSWORD not in dump  # ...without the plaintext
