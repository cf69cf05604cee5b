"""What follows from a practice row changing, whoever changes it (admin, shell, scripts)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete
from django.dispatch import receiver

from tenants.models import Practice
from tenants.schedule import practice_schedule_delete


@receiver(post_delete, sender=Practice, dispatch_uid="practice_schedule_delete")
def _practice_deleted(sender: type[Practice], instance: Practice, **kwargs: Any) -> None:
    # Otherwise its poll schedule keeps queueing polls of a practice that is gone.
    practice_schedule_delete(practice=instance)
