"""Queue a backfill of a practice's appointments dated from --since (to --until):
`manage.py backfill <slug> --since 2026-01-01`. Ticks work through it, throttled."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.core.management.base import BaseCommand
from django_tenants.utils import schema_context

from integrations.clock import SYSTEM_CLOCK
from integrations.engine.read import backfill_start
from integrations.management.commands._practice_arg import practice_named
from integrations.tasks import practice_poll


class Command(BaseCommand):
    help = "Queue (and with --now, run) a backfill of appointments dated in a window."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("practice", help="the practice's slug or schema name")
        parser.add_argument("--since", type=date.fromisoformat, required=True)
        parser.add_argument("--until", type=date.fromisoformat, default=None,
                            help="last appointment date (default: 180 days from today)")
        parser.add_argument("--now", action="store_true", help="run ticks until it is done")

    def handle(self, *args: Any, **options: Any) -> None:
        practice = practice_named(options["practice"])
        until = options["until"] or date.today() + timedelta(days=180)
        with schema_context(practice.schema_name):
            backfill_start(start=options["since"], end=until, clock=SYSTEM_CLOCK)
        self.stdout.write(f"Backfill of {practice.slug} queued: {options['since']} to {until}.")
        if options["now"]:
            from integrations.engine.read import backfill_pending

            while True:
                result = practice_poll(practice.schema_name)
                self.stdout.write(f"tick: {result.get('events_processed', 0)} events")
                with schema_context(practice.schema_name):
                    if backfill_pending() is None or result.get("errors"):
                        break
