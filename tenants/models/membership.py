"""Who may use a practice's portal, and as what.

A membership is the per-practice grant, for practice staff and agency staff alike; the
agency-wide grant is the `open_every_practice` permission (agency staff only).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from tenants.models.practice import Practice


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        STAFF = "staff", "Staff"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.STAFF)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        permissions = [
            ("open_every_practice",
             "Can open every practice's portal and admin (agency-wide grant)"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["user", "practice"], name="one_membership_per_practice")
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.role}) at {self.practice}"
