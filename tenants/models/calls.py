"""Nextech calls per practice per day, for its daily call budget (see tenants.poll_plan)."""

from __future__ import annotations

from django.db import models

from tenants.models.practice import Practice


class NextechCallDay(models.Model):
    """The HTTP requests sent to Nextech for one practice on one local day (retries and
    token calls included: each counts against Nextech's limits), and the polls that made
    them, so the day's remaining polls can be projected from the calls a poll takes."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE,
                                 related_name="nextech_call_days")
    day = models.DateField()  # in the practice's time zone
    calls = models.PositiveIntegerField(default=0)
    polls = models.PositiveIntegerField(default=0)
    # What the plan chose after the latest poll: how long until the next one. The health
    # checks read it, so a practice polled every 30 minutes at night is not "late".
    interval_seconds = models.PositiveIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["practice", "day"], name="nextech_call_day_once")
        ]
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"{self.practice_id} {self.day}: {self.calls} calls, {self.polls} polls"
