"""Replay dead letters: `manage.py replay <slug> <inbox id>...` or `--op <outbox id>...`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django_tenants.utils import schema_context

from integrations.engine.replay import inbox_replay, outbox_retry
from integrations.management.commands._practice_arg import practice_named


class Command(BaseCommand):
    help = "Queue dead inbox items (events) or, with --op, dead CRM writes again."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("practice", help="the practice's slug or schema name")
        parser.add_argument("ids", nargs="+", type=int)
        parser.add_argument("--op", action="store_true", help="the ids are outbox operations")

    def handle(self, *args: Any, **options: Any) -> None:
        practice = practice_named(options["practice"])
        with schema_context(practice.schema_name):
            if options["op"]:
                count = outbox_retry(op_ids=options["ids"])
            else:
                count = inbox_replay(item_ids=options["ids"])
        self.stdout.write(f"{count} queued again; the next poll picks them up.")
