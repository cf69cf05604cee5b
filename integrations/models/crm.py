"""How this practice's GoHighLevel location is set up for AX Connect: the custom fields'
ids, which workflows each trigger enrols a contact in, and the engine's options."""

from __future__ import annotations

from django.db import models

from integrations.categories import Stage


class CrmField(models.Model):
    """An engine field key (e.g. `nxt_patient_id`) and that location's custom-field id."""

    key = models.CharField(max_length=60, unique=True)
    ghl_field_id = models.CharField(max_length=64)
    ghl_field_key = models.CharField(max_length=120, blank=True)
    name = models.CharField(max_length=120)

    def __str__(self) -> str:
        return f"{self.name} ({self.ghl_field_id})"


class AutomationRule(models.Model):
    """Enrol a contact in a GoHighLevel workflow when a trigger fires (optionally only for
    some categories)."""

    class Trigger(models.TextChoices):
        BOOKED = "booked", "Appointment booked (pending or confirmed)"
        FULFILLED = "fulfilled", "Appointment fulfilled"
        CANCELLED = "cancelled", "Appointment cancelled"
        NO_SHOW = "noshow", "Appointment no-show"
        PAYMENT = "payment", "Payment received"
        BIRTHDAY = "birthday", "Birthday set"

    trigger = models.CharField(max_length=12, choices=Trigger.choices)
    workflow_id = models.CharField(max_length=64)
    workflow_name = models.CharField(max_length=200, blank=True)
    # Category values this rule is limited to; empty means every category.
    categories = models.JSONField(default=list, blank=True)
    active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"{self.get_trigger_display()} -> {self.workflow_name or self.workflow_id}"


ONLINE_STAGE_CHOICES = [
    ("", "Do not move the opportunity"),
    (Stage.BOOKED.value, "As a non-surgical booking"),
    (Stage.CONSULT_BOOKED.value, "As a surgical consult"),
]


class EngineSettings(models.Model):
    """One row per practice: the options of the spec that differ between practices."""

    # The spec leaves "Online Appointment" routing open; by default it moves nothing.
    online_routing = models.CharField(
        max_length=40, choices=ONLINE_STAGE_CHOICES, blank=True, default=""
    )
    review_workflow_id = models.CharField(
        "review request workflow id",
        max_length=64,
        blank=True,
        help_text="Enrolled after a fulfilled appointment (e.g. a Google review request).",
    )
    review_cooldown_days = models.PositiveSmallIntegerField(default=90)
    service_tag_template = models.CharField(
        max_length=100,
        blank=True,
        default="NXT Service: {service}",
        help_text="Tag added per service received, for retention campaigns; blank: no tags.",
    )
    backfill_days_past = models.PositiveSmallIntegerField(default=90)
    backfill_days_future = models.PositiveSmallIntegerField(default=180)
    # NXT-Create. Practice+ requires these on every new patient; the CRM has no such
    # fields, so the practice's defaults are used.
    nxt_create_referral_source_id = models.CharField(
        "new patient referral source id (Practice+)", max_length=64, blank=True)
    nxt_create_general_practitioner_id = models.CharField(
        "new patient general practitioner id (Practice+)", max_length=64, blank=True)
    nxt_create_patient_status = models.CharField(
        "new patient status", max_length=40, blank=True,
        help_text="Practice+: Active, Not Yet Seen... (required). Nextech Cloud: patient, "
                  "prospect or patientprospect; blank uses the practice's default.")
    nxt_create_location_field = models.CharField(
        "CRM location field", max_length=120, blank=True,
        help_text="Name of the contact field that says where to create the patient "
                  "(multi-location practices); its values are mapped on each Location.")
    nxt_create_source_field = models.CharField(
        "CRM source field", max_length=120, blank=True,
        help_text="Name of a contact field holding the marketing source NXT-Create maps to a "
                  "Nextech referral source; blank: the contact's attribution (UTM source, "
                  "else its source).")
    nxt_create_reconcile_minutes = models.PositiveSmallIntegerField(
        # Webhooks bring tags within seconds; this search only catches a lost webhook, and
        # each one is a CRM call, so it runs every third 5-minute poll, not every poll.
        default=15, help_text="How often the CRM is searched for NXT-Create tags whose "
                              "webhook was lost.")

    class Meta:
        verbose_name = verbose_name_plural = "engine settings"

    def __str__(self) -> str:
        return "Engine settings"

    @classmethod
    def current(cls) -> EngineSettings:
        settings, _ = cls.objects.get_or_create(pk=1)
        return settings
