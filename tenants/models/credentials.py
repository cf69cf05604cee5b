"""Credentials for the two external systems, one row per practice per system.

Secrets are `EncryptedTextField`s: ciphertext in the database, never shown back in the
admin, never logged.
"""

from __future__ import annotations

from typing import TypeVar, cast

from django.conf import settings
from django.db import models

from tenants.fields import EncryptedTextField
from tenants.models.practice import Practice

NEXTECH_CLOUD_BASE_URL = "https://select.nextech-api.com/api"
NEXTECH_PRACTICE_PLUS_BASE_URL = "https://api.pm.nextech.com/api"
NEXTECH_TOKEN_URL = "https://login.microsoftonline.com/nextech-api.com/oauth2/token"

GHL_API_BASE_URL = "https://services.leadconnectorhq.com"
GHL_AUTHORIZE_URL = "https://marketplace.gohighlevel.com/v2/oauth/chooselocation"
GHL_TOKEN_URL = "https://services.leadconnectorhq.com/oauth/token"


def nextech_url_defaults() -> dict[str, str]:
    """The URLs a new Nextech credential starts with where settings override the model's."""
    wanted = {"base_url": settings.NEXTECH_API_URL, "token_url": settings.NEXTECH_TOKEN_URL}
    return {name: url for name, url in wanted.items() if url}


def ghl_url_defaults() -> dict[str, str]:
    """The same for GoHighLevel (the demo's sandbox, or the real API when unset)."""
    wanted = {"api_base_url": settings.GHL_API_URL, "authorize_url": settings.GHL_AUTHORIZE_URL,
              "token_url": settings.GHL_TOKEN_URL}
    return {name: url for name, url in wanted.items() if url}


class NextechCredential(models.Model):
    """Nextech Cloud signs in as a user (password grant); Practice+ as a partner."""

    practice = models.OneToOneField(
        Practice, on_delete=models.CASCADE, related_name="nextech_credential"
    )
    base_url = models.URLField(default=NEXTECH_CLOUD_BASE_URL)
    token_url = models.URLField(default=NEXTECH_TOKEN_URL)
    resource = models.CharField(
        max_length=200, blank=True, help_text="The 'resource' Nextech issued with the credentials."
    )
    practice_guid = models.UUIDField(
        null=True, blank=True, help_text="Sent as nx-practice-id on every request."
    )
    client_id = models.CharField("application (client) id", max_length=200, blank=True)
    username = models.CharField(max_length=200, blank=True)
    password = EncryptedTextField(blank=True)
    partner_id = models.CharField(max_length=200, blank=True)
    partner_secret = EncryptedTextField(blank=True)
    access_token = EncryptedTextField(blank=True)
    access_expires_at = models.DateTimeField(null=True, blank=True)
    refresh_token = EncryptedTextField(blank=True)
    refresh_expires_at = models.DateTimeField(null=True, blank=True)
    last_verified_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "Nextech credentials"

    def __str__(self) -> str:
        return f"Nextech credentials for {self.practice}"


class GhlCredential(models.Model):
    class AuthKind(models.TextChoices):
        OAUTH = "oauth", "OAuth (marketplace app)"
        PRIVATE = "private", "Private integration token"
        AGENCY = "agency", "Agency token minting location tokens"

    practice = models.OneToOneField(
        Practice, on_delete=models.CASCADE, related_name="ghl_credential"
    )
    auth_kind = models.CharField(max_length=10, choices=AuthKind.choices, default=AuthKind.OAUTH)
    location_id = models.CharField(max_length=100, blank=True)
    # The sub-account's name as GoHighLevel gives it (GET /locations/{id}), read on
    # connect and on set-up: staff recognise "Cedar Aesthetics", not an id.
    location_name = models.CharField(max_length=200, blank=True, editable=False)
    company_id = models.CharField(max_length=100, blank=True)
    access_token = EncryptedTextField(blank=True)
    refresh_token = EncryptedTextField(blank=True)
    access_expires_at = models.DateTimeField(null=True, blank=True)
    private_token = EncryptedTextField(blank=True)
    api_base_url = models.URLField(default=GHL_API_BASE_URL)
    authorize_url = models.URLField(default=GHL_AUTHORIZE_URL)
    token_url = models.URLField(default=GHL_TOKEN_URL)
    connected_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "GoHighLevel credentials"

    def __str__(self) -> str:
        return f"GoHighLevel credentials for {self.practice}"


C = TypeVar("C", NextechCredential, GhlCredential)

# Marks a practice read together with its credentials by `practice_with_credentials`.
# Only such an instance's cached credentials are trusted: Django also caches a credential
# on the practice instance it was created with, which may be long stale by now.
_READ_WITH_CREDENTIALS = "_read_with_credentials"


def practice_with_credentials(*, schema_name: str) -> Practice | None:
    """The practice and both its credentials in one query (the tick's, read fresh for
    each tick): building its clients then reads nothing more."""
    practice = (Practice.objects.select_related("nextech_credential", "ghl_credential")
                .filter(schema_name=schema_name).first())
    if practice is not None:
        setattr(practice, _READ_WITH_CREDENTIALS, True)
    return practice


def practice_credential(practice: Practice, model: type[C]) -> C | None:
    """The practice's credential row of `model`: the one read with the practice by
    `practice_with_credentials`, else read now."""
    relation = model._meta.get_field("practice").remote_field
    if getattr(practice, _READ_WITH_CREDENTIALS, False) and relation.is_cached(practice):
        return cast("C | None", relation.get_cached_value(practice))
    return model.objects.filter(practice=practice).first()
