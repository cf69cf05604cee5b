"""The practice (a tenant: one PostgreSQL schema) and its host names."""

from __future__ import annotations

from decimal import Decimal

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django_tenants.models import DomainMixin, TenantMixin

from tenants.poll_plan import (
    DEFAULT_OPENING_HOURS,
    OpeningHoursError,
    opening_hours_parse,
    time_zone_known,
)


def validate_time_zone(value: str) -> None:
    if not time_zone_known(value):
        raise ValidationError(f"{value!r} is not a known time zone (e.g. America/New_York)")


def validate_opening_hours(value: str) -> None:
    try:
        opening_hours_parse(value, default_zone="UTC")
    except OpeningHoursError as exc:
        raise ValidationError(str(exc)) from None


def validate_country(value: str) -> None:
    if value not in phonenumbers.SUPPORTED_REGIONS:
        raise ValidationError(f"{value!r} is not a two-letter country code (e.g. US)")


class Practice(TenantMixin):
    class Flavor(models.TextChoices):
        NEXTECH_CLOUD = "select", "Nextech Cloud (Select)"
        PRACTICE_PLUS = "practiceplus", "Nextech Practice+"

    class Kind(models.TextChoices):
        SURGICAL_AND_MEDSPA = "surgical_medspa", "Plastic surgery + med spa"
        MEDSPA = "medspa", "Med spa only"

    class Status(models.TextChoices):
        ONBOARDING = "onboarding", "Onboarding"
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        NEEDS_ATTENTION = "needs_attention", "Needs attention"

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=50, unique=True, help_text="Also the portal host name.")
    emr_flavor = models.CharField(
        max_length=20, choices=Flavor.choices, default=Flavor.NEXTECH_CLOUD
    )
    practice_type = models.CharField(
        max_length=20, choices=Kind.choices, default=Kind.SURGICAL_AND_MEDSPA
    )
    time_zone = models.CharField(
        max_length=64, default="America/New_York", validators=[validate_time_zone]
    )
    country = models.CharField(
        max_length=2,
        default="US",
        validators=[validate_country],
        help_text="Region used to read phone numbers without a country code.",
    )
    poll_interval_minutes = models.PositiveSmallIntegerField(
        "poll interval in opening hours (minutes)", default=5, validators=[MinValueValidator(1)]
    )
    slow_poll_interval_minutes = models.PositiveSmallIntegerField(
        "poll interval when closed (minutes)", default=30, validators=[MinValueValidator(1)],
        help_text="Nights and closed days.",
    )
    opening_hours = models.TextField(
        default=DEFAULT_OPENING_HOURS,
        validators=[validate_opening_hours],
        help_text="One line per rule, in the practice's time zone unless a line starts with "
        "another (a location elsewhere): 'Mon-Sat 07:00-19:00', "
        "'America/Chicago Sat 09:00-13:00'.",
    )
    nextech_daily_call_budget = models.PositiveIntegerField(
        "Nextech calls per day", null=True, blank=True, validators=[MinValueValidator(1)],
        help_text="Leave empty for no cap. Polling slows down in opening hours when the "
        "day's projected calls would exceed it (the day is the practice's local day).",
    )
    payments_enabled = models.BooleanField(default=False)
    # When staff chose on or off (after the spec's warning); empty while undecided, so
    # the onboarding checklist does not call a default a decision.
    payments_decided_at = models.DateTimeField(null=True, blank=True, editable=False)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ONBOARDING)
    status_reason = models.CharField(max_length=500, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    price_per_location = models.DecimalField(
        max_digits=8,
        decimal_places=2,
        default=Decimal("99.00"),
        help_text="USD per billable location per month.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    # Saving a new practice creates its schema and runs the tenant migrations.
    auto_create_schema = True

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_public(self) -> bool:
        return self.schema_name == "public"


class Domain(DomainMixin):
    def __str__(self) -> str:
        return self.domain
