"""Finding the practice a management command names."""

from __future__ import annotations

from django.core.management.base import CommandError

from tenants.models import Practice


def practice_named(name: str) -> Practice:
    practice = (Practice.objects.filter(slug=name).first()
                or Practice.objects.filter(schema_name=name).first())
    if practice is None or practice.is_public:
        raise CommandError(f"no practice {name!r}")
    return practice
