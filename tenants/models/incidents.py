"""Incidents the agency is told about by email: one row per practice, kind and occurrence.

An incident is open until its condition clears; the agency hears once when it opens and
once when it is resolved. `AlertWatch` keeps what the detector must remember between
checks (the dead-letter count it last saw).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from tenants.models.practice import Practice


class Incident(models.Model):
    class Kind(models.TextChoices):
        NEEDS_ATTENTION = "needs_attention", "Needs attention (credentials or set-up)"
        REFRESH_LAPSING = "refresh_lapsing", "Nextech refresh token about to lapse"
        STALLED = "stalled", "Poller stalled"
        DEAD_LETTERS = "dead_letters", "Dead letters growing"
        RATE_LIMIT = "rate_limit", "GoHighLevel daily rate limit exhausted"

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="incidents")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    detail = models.CharField(max_length=500, blank=True)
    opened_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    # Set once the email went out; a failed send is retried on the next check.
    opened_notified_at = models.DateTimeField(null=True, blank=True)
    resolved_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            # One open incident per practice and kind, however many checks run at once.
            models.UniqueConstraint(
                fields=["practice", "kind"],
                condition=Q(resolved_at__isnull=True),
                name="incident_one_open_per_kind",
            )
        ]

    def __str__(self) -> str:
        state = "resolved" if self.resolved_at else "open"
        return f"{self.practice}: {self.get_kind_display()} ({state})"


class AlertWatch(models.Model):
    """Per practice: the figures the next check compares against."""

    practice = models.OneToOneField(Practice, on_delete=models.CASCADE, related_name="alert_watch")
    dead_letters_seen = models.PositiveIntegerField(default=0)
    dead_letters_grew_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"alert watch for {self.practice}"
