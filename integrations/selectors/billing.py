"""Which of this practice's locations are on its bill."""

from __future__ import annotations

from django.db.models import QuerySet

from integrations.models import Location


def billable_locations_list() -> QuerySet[Location]:
    """Locations billed this month: billable and active (see tenants/billing.py's rule)."""
    return Location.objects.filter(billable=True, active=True).order_by("name")


def locations_list() -> QuerySet[Location]:
    """Locations Nextech lists as active, billable or not."""
    return Location.objects.filter(active=True).order_by("name")
