"""Clean-up for tests that onboard a practice through the admin and commit it."""

from __future__ import annotations

from django_q.models import Schedule

from tenants.models import OpsMetric, Practice
from tenants.schedule import schedule_name


def practice_drop(*, slug: str) -> None:
    """Remove a committed practice, its schema and the public rows keyed by its schema name
    (its schedule and metrics); its credentials, domain and incidents go with the row."""
    practice = Practice.objects.filter(slug=slug).first()
    if practice is None:
        return
    Schedule.objects.filter(name=schedule_name(practice)).delete()
    OpsMetric.objects.filter(practice=practice.schema_name).delete()
    practice.delete(force_drop=True)
