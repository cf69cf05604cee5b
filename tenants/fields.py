"""A text field stored encrypted; reads decrypt, and a wrong key raises."""

from __future__ import annotations

from typing import Any

from django.db import models

from tenants.crypto import secret_decrypt, secret_encrypt


class EncryptedTextField(models.TextField):
    """Plaintext in Python, Fernet ciphertext in the column. Not filterable by value.

    Empty strings stay empty (nothing to hide, and "not set" stays visible to queries).
    """

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return secret_encrypt(str(value))

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value in (None, ""):
            return value
        return secret_decrypt(value)
