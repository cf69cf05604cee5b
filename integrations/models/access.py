"""Who looked at which patient's activity in the portal (HIPAA access audit)."""

from __future__ import annotations

from django.db import models


class PatientAccessLog(models.Model):
    """One view of one patient's activity. Append-only.

    Users live in the public schema, so the viewer is kept as id + username snapshot
    rather than a cross-schema foreign key; the username stays readable after the account
    is renamed or removed.
    """

    user_id = models.PositiveIntegerField(db_index=True)
    username = models.CharField(max_length=150)
    patient_ref = models.CharField(max_length=64, db_index=True)  # the NXT Patient ID
    view = models.CharField(max_length=40)  # which page showed the patient
    viewed_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-viewed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.username} viewed patient {self.patient_ref} ({self.view})"
