"""The release step's migrations: public schema, then only the practices that are behind.

    python manage.py migrate_practices [--executor standard|multiprocessing]

Equivalent to `migrate_schemas` (which it calls) when every practice lacks a migration,
and seconds instead of hours at 10,000 practices when none does (see
tenants.schema_versions).
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from tenants.models import Practice
from tenants.schema_versions import schemas_behind


class Command(BaseCommand):
    help = "Migrate the public schema, then each practice schema that lacks a migration."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--executor", default="standard",
                            choices=["standard", "multiprocessing"],
                            help="django-tenants' executor for the practices behind")

    def handle(self, *args: Any, **options: Any) -> None:
        verbosity = int(options["verbosity"])
        started = time.monotonic()
        call_command("migrate_schemas", shared=True, interactive=False, verbosity=verbosity)
        schemas = list(Practice.objects.exclude(schema_name="public")
                       .order_by("schema_name").values_list("schema_name", flat=True))
        behind = schemas_behind(schemas)
        if behind and len(behind) == len(schemas):
            # A new migration: every practice at once, on the executor asked for.
            call_command("migrate_schemas", tenant=True, executor=options["executor"],
                         interactive=False, verbosity=verbosity)
        else:
            # A few stragglers (a practice created mid-release, a schema a failed run
            # left behind): only those.
            for schema in behind:
                call_command("migrate_schemas", tenant=True, schema_name=schema,
                             interactive=False, verbosity=verbosity)
        self.stdout.write(
            f"{len(behind)} of {len(schemas)} practice schemas migrated "
            f"({time.monotonic() - started:.1f} s)."
        )
