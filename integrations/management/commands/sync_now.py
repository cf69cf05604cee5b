"""Poll one practice now, as its schedule would: `manage.py sync_now <slug>`."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from integrations.tasks import practice_poll
from tenants.models import Practice


class Command(BaseCommand):
    help = "Run one poll tick for a practice (by slug or schema name) and print its summary."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("practice", help="the practice's slug or schema name")

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["practice"]
        practice = (Practice.objects.filter(slug=name).first()
                    or Practice.objects.filter(schema_name=name).first())
        if practice is None or practice.is_public:
            raise CommandError(f"no practice {name!r}")
        result = practice_poll(practice.schema_name)
        self.stdout.write(json.dumps(result))
        if result.get("skipped"):
            raise CommandError(f"not polled: {result['skipped']}")
