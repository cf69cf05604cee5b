"""Practices configured for poll-plan tests at a chosen local hour, whenever they run."""

from __future__ import annotations

from datetime import UTC, datetime

from tenants.models import Practice
from tenants.services import practice_update

EVERY_DAY = "Mon-Sun 07:00-19:00"


def zone_at_local_hour(hour: int) -> str:
    """A fixed-offset zone in which it is now `hour` o'clock (Etc/GMT signs are reversed),
    so a test means "at noon" or "at 2 am" whenever it runs."""
    offset = (hour - datetime.now(UTC).hour + 12) % 24 - 12
    return f"Etc/GMT{-offset:+d}"


def practice_hours_set(practice: Practice, *, local_hour: int, **fields: object) -> Practice:
    practice.time_zone = zone_at_local_hour(local_hour)
    practice.opening_hours = EVERY_DAY
    for name, value in fields.items():
        setattr(practice, name, value)
    return practice_update(practice=practice)  # and its schedule, as the admin saves it
