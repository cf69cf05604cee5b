"""Poll one practice now, as its schedule would: `manage.py sync_now <slug>`."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from integrations.management.commands._practice_arg import practice_named
from integrations.tasks import practice_poll


class Command(BaseCommand):
    help = "Run one poll tick for a practice (by slug or schema name) and print its summary."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("practice", help="the practice's slug or schema name")

    def handle(self, *args: Any, **options: Any) -> None:
        practice = practice_named(options["practice"])
        result = practice_poll(practice.schema_name)
        self.stdout.write(json.dumps(result))
        if result.get("skipped"):
            raise CommandError(f"not polled: {result['skipped']}")
