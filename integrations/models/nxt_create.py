"""NXT-Create: a CRM contact staff tagged to become a Nextech patient, and how that went.

One row per contact, reused by a re-tag or a retry, so there is never more than one
request in flight for a contact; the row is also what serializes concurrent deliveries
(`select_for_update`) and what makes a repeat a no-op.
"""

from __future__ import annotations

from django.db import models


class NxtCreateRequest(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        CREATED = "created", "Patient created"
        LINKED = "linked", "Linked to an existing patient"
        FAILED = "failed", "Failed"

    contact_id = models.CharField(max_length=64, unique=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    nextech_id = models.CharField("Nextech patient id", max_length=64, blank=True)
    # The contact's name as last read, so staff see whom a failure is about (never logged).
    contact_name = models.CharField(max_length=200, blank=True)
    # What staff must fix, one line each, in front-desk words (also the CRM note).
    problems = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)  # calls towards Nextech
    last_error = models.CharField(max_length=500, blank=True)  # a transient failure, no PHI
    # Staff asked for another try from the admin: no NXT-Create tag needed this time.
    retry_requested = models.BooleanField(default=False)
    # The CRM side of the last outcome (field, tags, note) still has to be written.
    crm_pending = models.BooleanField(default=False)
    crm_note = models.TextField(blank=True)
    outcome_seq = models.PositiveIntegerField(default=0)  # makes each outcome's note unique
    # Timings for tag -> created latency: when the tag was seen (webhook receipt or the
    # reconciliation that found it) and when Nextech created or linked the patient.
    tagged_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = "NXT-Create request"
        indexes = [models.Index(fields=["state", "crm_pending"], name="nxt_create_work")]

    def __str__(self) -> str:
        return f"NXT-Create for contact {self.contact_id} ({self.state})"


class NxtCreateSweep(models.Model):
    """One row per practice: when the CRM was last searched for NXT-Create tags."""

    searched_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"NXT-Create tag search at {self.searched_at or 'never'}"

    @classmethod
    def current(cls) -> NxtCreateSweep:
        sweep, _ = cls.objects.get_or_create(pk=1)
        return sweep


class ReferralSourceMapping(models.Model):
    """A CRM marketing source and the Nextech referral source NXT-Create gives a patient who
    came from it, so the practice can report revenue by source in Nextech."""

    crm_source = models.CharField(
        "CRM source", max_length=200, unique=True,
        help_text="As the CRM shows it (e.g. facebook, Google Ads); case is ignored.")
    nextech_referral_source_id = models.CharField(
        "Nextech referral source id", max_length=64)
    nextech_referral_source_name = models.CharField(
        "Nextech referral source name", max_length=200, blank=True,
        help_text="For the NXT-Create note only.")

    class Meta:
        ordering = ["crm_source"]

    def __str__(self) -> str:
        target = self.nextech_referral_source_name or self.nextech_referral_source_id
        return f"{self.crm_source} -> {target}"
