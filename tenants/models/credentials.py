"""Credentials for the two external systems, one row per practice per system.

Secrets are `EncryptedTextField`s: ciphertext in the database, never shown back in the
admin, never logged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar, cast

from django.conf import settings
from django.db import connection, models
from django.db.models import Field
from django.db.models.expressions import Col

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
M = TypeVar("M", bound=models.Model)

# Marks a practice read together with its credentials by `practice_with_credentials`.
# Only such an instance's cached credentials are trusted: Django also caches a credential
# on the practice instance it was created with, which may be long stale by now.
_READ_WITH_CREDENTIALS = "_read_with_credentials"


def practice_with_credentials(*, schema_name: str) -> Practice | None:
    """The practice and both its credentials in one query (the tick's, read fresh for
    each tick): building its clients then reads nothing more.

    The statement is written once per process, not compiled by the ORM for each tick: a
    three-table `select_related` cost a twentieth of a worker's CPU (py-spy). Rows still become
    model instances through `from_db`, with each field's converters (secrets decrypt).
    """
    reader = _credentials_reader()
    with connection.cursor() as cursor:
        cursor.execute(reader.sql, [schema_name])
        row = cursor.fetchone()
    if row is None:
        return None
    practice = cast(Practice, reader.instance(Practice, row))
    for model in _CREDENTIAL_MODELS:
        credential = reader.instance(model, row)
        field = cast(models.OneToOneField, model._meta.get_field("practice"))
        if credential is not None:
            field.set_cached_value(credential, practice)
        field.remote_field.set_cached_value(practice, credential)
    setattr(practice, _READ_WITH_CREDENTIALS, True)
    return practice


_CREDENTIAL_MODELS: tuple[type[models.Model], ...] = (NextechCredential, GhlCredential)


@dataclass(frozen=True)
class _Slice:
    """One model's columns in a joined row: where they start, and how each is read."""

    start: int
    attnames: list[str]  # the primary key first
    # per column: its expression and the converters the ORM's compiler would apply to it
    converters: list[tuple[Col, list[Callable[..., Any]]]]


@dataclass(frozen=True)
class _JoinedReader:
    """One SELECT of several models' columns side by side, and each model's slice of a row."""

    sql: str
    slices: dict[type[models.Model], _Slice]

    def instance(self, model: type[M], row: tuple[Any, ...]) -> M | None:
        part = self.slices[model]
        values = list(row[part.start:part.start + len(part.attnames)])
        if values[0] is None:  # no primary key: the left join found no row
            return None
        for index, (col, converters) in enumerate(part.converters):
            for convert in converters:
                values[index] = convert(values[index], col, connection)
        return model.from_db(connection.alias, part.attnames, values)


@lru_cache(maxsize=1)
def _credentials_reader() -> _JoinedReader:
    quote = connection.ops.quote_name
    columns: list[str] = []
    joins: list[str] = []
    slices: dict[type[models.Model], _Slice] = {}
    models_read: tuple[type[models.Model], ...] = (Practice, *_CREDENTIAL_MODELS)
    for alias, model in enumerate(models_read):
        pk = cast(Field, model._meta.pk)
        fields = [pk, *(cast(Field, f) for f in model._meta.concrete_fields if f is not pk)]
        cols = [Col(f"t{alias}", f) for f in fields]
        # The converters the ORM's compiler applies: the backend's, then the field's own.
        slices[model] = _Slice(
            start=len(columns), attnames=[f.attname for f in fields],
            converters=[(col, connection.ops.get_db_converters(col)
                         + col.get_db_converters(connection)) for col in cols])
        columns += [f"t{alias}.{quote(f.column)}" for f in fields]
        if alias:
            joins.append(f"LEFT JOIN {quote(model._meta.db_table)} t{alias} "
                         f"ON t{alias}.{quote(_column(model, 'practice'))} "
                         f"= t0.{quote(cast(Field, Practice._meta.pk).column)}")
    sql = (f"SELECT {', '.join(columns)} FROM {quote(Practice._meta.db_table)} t0 "  # noqa: S608
           f"{' '.join(joins)} WHERE t0.{quote(_column(Practice, 'schema_name'))} = %s")
    return _JoinedReader(sql=sql, slices=slices)


def _column(model: type[models.Model], name: str) -> str:
    return cast(str, cast(Field, model._meta.get_field(name)).column)


def practice_credential(practice: Practice, model: type[C]) -> C | None:
    """The practice's credential row of `model`: the one read with the practice by
    `practice_with_credentials`, else read now."""
    relation = model._meta.get_field("practice").remote_field
    if getattr(practice, _READ_WITH_CREDENTIALS, False) and relation.is_cached(practice):
        return cast("C | None", relation.get_cached_value(practice))
    return model.objects.filter(practice=practice).first()
