"""What the integration did, for staff asking "why is this contact here?"."""

from __future__ import annotations

from datetime import datetime

from django.db import models


class SyncLog(models.Model):
    class Level(models.TextChoices):
        INFO = "info", "Info"
        WARNING = "warning", "Warning"
        ERROR = "error", "Error"

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # When what is logged happened where it happened (an event's lastUpdated in Nextech);
    # null when that is the moment it was logged.
    occurred_at = models.DateTimeField(null=True, blank=True, db_index=True)
    tick_id = models.UUIDField(null=True, blank=True, db_index=True)
    level = models.CharField(max_length=10, choices=Level.choices, default=Level.INFO)
    kind = models.CharField(max_length=40)  # tick, event, write, dead_letter, ...
    message = models.CharField(max_length=500)
    # References, not PHI: the Nextech patient id and the CRM contact id.
    patient_ref = models.CharField(max_length=64, blank=True, db_index=True)
    contact_ref = models.CharField(max_length=64, blank=True, db_index=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.kind}: {self.message}"


class SyncState(models.Model):
    """One row per practice schema: when it last polled and how that went."""

    last_tick_started_at = models.DateTimeField(null=True, blank=True)
    last_tick_finished_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    ticks_skipped_locked = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"last success {self.last_success_at or 'never'}"

    @classmethod
    def current(cls) -> SyncState:
        state, _ = cls.objects.get_or_create(pk=1)
        return state

    @classmethod
    def tick_started(cls, at: datetime) -> SyncState:
        """Record a tick's start in one statement (the row is read only the first time).

        The instance returned carries the start alone, not the other columns: the tick
        only ever saves the fields it sets (`update_fields`)."""
        if cls.objects.filter(pk=1).update(last_tick_started_at=at):
            return cls(pk=1, last_tick_started_at=at)
        state = cls.current()
        state.last_tick_started_at = at
        state.save(update_fields=["last_tick_started_at"])
        return state
