"""The sync engine's own state, per practice schema: cursors, inbox, what is known of each
patient, what was last written to the CRM, and the outbox of writes."""

from __future__ import annotations

from django.db import models


class Cursor(models.Model):
    """Where polling of one Nextech resource stands.

    `position` only moves when a scan of `_lastUpdated >= position - overlap` has been read
    to its last page (Nextech orders results by creation, not by lastUpdated). A scan cut
    short by the per-tick page cap resumes from `resume_link` on the next tick.
    """

    resource = models.CharField(max_length=40, unique=True)
    position = models.DateTimeField(null=True, blank=True)
    scan_started_at = models.DateTimeField(null=True, blank=True)
    resume_link = models.TextField(blank=True)
    # A backfill reads appointments dated in a window instead of recent changes.
    window_start = models.DateField(null=True, blank=True)
    window_end = models.DateField(null=True, blank=True)
    # A backfill's progress: entries read so far of the total Nextech's search reported.
    items_read = models.PositiveIntegerField(default=0)
    items_total = models.PositiveIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.resource} at {self.position}"


class InboxItem(models.Model):
    """One version of one Nextech resource, stored once however often it is polled."""

    class State(models.TextChoices):
        NEW = "new", "New"
        DONE = "done", "Processed"
        DEAD = "dead", "Dead letter"

    resource = models.CharField(max_length=40)
    external_id = models.CharField(max_length=64)
    # lastUpdated, or a digest of the payload where the server has no lastUpdated (< 14.3).
    version = models.CharField(max_length=64)
    last_updated = models.DateTimeField(null=True, blank=True)
    payload = models.JSONField()
    state = models.CharField(max_length=8, choices=State.choices, default=State.NEW)
    error = models.CharField(max_length=500, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["resource", "external_id", "version"], name="inbox_once_per_version"
            )
        ]
        indexes = [models.Index(fields=["state", "last_updated"], name="inbox_pending")]

    def __str__(self) -> str:
        return f"{self.resource}/{self.external_id} @ {self.version} ({self.state})"


class KnownPatient(models.Model):
    """The minimum of a Nextech patient the CRM needs, and the CRM contact it is linked to."""

    nextech_id = models.CharField(max_length=64, unique=True)
    given = models.CharField(max_length=100, blank=True)
    family = models.CharField(max_length=100, blank=True)
    # Indexed: a new contact's email and phone are checked against every other patient's.
    email = models.CharField(max_length=254, blank=True, db_index=True)
    phone = models.CharField(max_length=32, blank=True, db_index=True)  # E.164 when it parses
    birth_date = models.DateField(null=True, blank=True)
    patient_status = models.CharField(max_length=40, blank=True)
    last_updated = models.DateTimeField(null=True, blank=True)
    fetched_at = models.DateTimeField(null=True, blank=True)
    contact_id = models.CharField(max_length=64, blank=True, db_index=True)
    # GoHighLevel opportunity id per canonical pipeline, once found or created.
    opportunity_ids = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"patient {self.nextech_id}"


class KnownAppointment(models.Model):
    nextech_id = models.CharField(max_length=64, unique=True)
    patient_id = models.CharField(max_length=64, blank=True, db_index=True)
    status = models.CharField(max_length=20, blank=True)  # FHIR status
    status_label = models.CharField(max_length=100, blank=True)  # what staff see
    start = models.DateTimeField()
    created = models.DateTimeField(null=True, blank=True)
    last_updated = models.DateTimeField(null=True, blank=True)
    type_id = models.CharField(max_length=64, blank=True)
    type_name = models.CharField(max_length=200, blank=True)
    purpose_ids = models.JSONField(default=list)
    purpose_names = models.JSONField(default=list)
    practitioner_name = models.CharField(max_length=200, blank=True)
    location_id = models.CharField(max_length=64, blank=True)
    location_name = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"appointment {self.nextech_id} ({self.status_label or self.status})"


class KnownPayment(models.Model):
    nextech_id = models.CharField(max_length=64, unique=True)
    patient_id = models.CharField(max_length=64, db_index=True)
    status = models.CharField(max_length=20)
    total = models.DecimalField(max_digits=12, decimal_places=2)
    payment_date = models.DateField(null=True, blank=True)
    last_updated = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"payment {self.nextech_id} ({self.status})"


class ContactSnapshot(models.Model):
    """What AX Connect last queued for a patient's CRM contact: the base of every diff."""

    patient_id = models.CharField(max_length=64, unique=True)
    state = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"CRM snapshot of patient {self.patient_id}"


class OutboxOp(models.Model):
    """One write to GoHighLevel, queued in the same transaction as the decision behind it."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        DONE = "done", "Done"
        DEAD = "dead", "Dead letter"

    key = models.CharField(max_length=120, unique=True)  # deterministic idempotency key
    patient_id = models.CharField(max_length=64, db_index=True)
    kind = models.CharField(max_length=40)
    payload = models.JSONField()
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    result = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["state", "id"], name="outbox_pending")]

    def __str__(self) -> str:
        return f"{self.kind} for patient {self.patient_id} ({self.state})"
