"""Create the operations schedules (incident check every minute, daily retention purge).

Idempotent: run it on every deploy, after migrate.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from integrations.retention import retention_schedule_ensure
from tenants.alerts import alerts_schedule_ensure


class Command(BaseCommand):
    help = "Create or update the incident-check and retention schedules (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        for schedule in (alerts_schedule_ensure(), retention_schedule_ensure()):
            kind = schedule.get_schedule_type_display()
            self.stdout.write(f"{schedule.name}: {schedule.func} ({kind})")
