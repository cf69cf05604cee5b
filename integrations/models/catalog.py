"""What a practice's Nextech defines (locations, appointment types, purposes) and how
AX Connect categorises it. Lives in the practice's schema."""

from __future__ import annotations

import uuid

from django.db import models

from integrations.categories import CATEGORY_LABELS

CATEGORY_CHOICES = [(category.value, label) for category, label in CATEGORY_LABELS.items()]


class Location(models.Model):
    nextech_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    active = models.BooleanField(default=True)
    billable = models.BooleanField(
        default=True, help_text="Counted on the practice's monthly bill."
    )
    # Routing applied to a contact whose appointment is at this location.
    routing_tag = models.CharField(max_length=100, blank=True)
    routing_user_id = models.CharField("assigned GoHighLevel user id", max_length=64, blank=True)
    routing_workflow_id = models.CharField("GoHighLevel workflow id", max_length=64, blank=True)
    # The value of the CRM contact's location field that means "create the patient here".
    crm_location_value = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CatalogEntry(models.Model):
    """Something Nextech defines and AX Connect pulls: kept when Nextech drops it (inactive)."""

    nextech_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    active = models.BooleanField(default=True)
    pulled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AppointmentType(CatalogEntry):
    pass


class AppointmentPurpose(CatalogEntry):
    # The type Nextech files the purpose under (Practice+ may not say).
    appointment_type = models.ForeignKey(
        AppointmentType, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="purposes",
    )


class CategoryMapping(models.Model):
    """(type, optional purpose) -> one of the spec's 8 categories.

    A purpose-specific row beats the type-only row for the same type.
    """

    class Source(models.TextChoices):
        SUGGESTED = "suggested", "Suggested from the name"
        CONFIRMED = "confirmed", "Confirmed"
        IMPORTED = "imported", "Imported from the spreadsheet"

    appointment_type = models.ForeignKey(
        AppointmentType, on_delete=models.CASCADE, related_name="mappings"
    )
    purpose = models.ForeignKey(
        AppointmentPurpose,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="mappings",
    )
    category = models.CharField(max_length=32, choices=CATEGORY_CHOICES)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.SUGGESTED)
    # Users live in the public schema; keep who confirmed as text so the row needs no
    # cross-schema foreign key.
    confirmed_by = models.CharField(max_length=150, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["appointment_type", "purpose"], name="one_mapping_per_type_purpose"
            ),
            models.UniqueConstraint(
                fields=["appointment_type"],
                condition=models.Q(purpose__isnull=True),
                name="one_type_only_mapping",
            ),
        ]

    def __str__(self) -> str:
        target = (
            f"{self.appointment_type} / {self.purpose}"
            if self.purpose
            else str(self.appointment_type)
        )
        return f"{target} -> {self.get_category_display()}"


class CategoryUpload(models.Model):
    """An uploaded category spreadsheet between its preview and its confirmation.

    Kept here rather than in the session, so a session stays a few hundred bytes whatever
    was uploaded, and whichever web process gets the confirmation finds the file.
    """

    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user_id = models.IntegerField()  # the user in the public schema who previewed it
    file_name = models.CharField(max_length=200)
    file_format = models.CharField(max_length=4)
    data = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.file_name} ({self.created_at:%Y-%m-%d %H:%M})"
