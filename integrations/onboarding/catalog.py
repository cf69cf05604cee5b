"""Pull what a practice's Nextech defines (appointment types, purposes, locations) into its
schema, and suggest categories for the client to confirm."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from django.db import transaction
from django.utils import timezone

from integrations.categories import Category
from integrations.models import AppointmentPurpose, AppointmentType, CategoryMapping, Location
from integrations.nextech import resources as nx
from integrations.nextech.client import SearchResult
from integrations.onboarding.suggest import category_suggest

log = logging.getLogger(__name__)


class NextechCatalogApi(Protocol):
    def appointment_types_list(self) -> SearchResult[nx.AppointmentType]: ...

    def appointment_purposes_list(self) -> SearchResult[nx.AppointmentPurpose]: ...

    def locations_list(self, *, include_unmanaged: bool = True) -> SearchResult[nx.Location]: ...


@dataclass(frozen=True)
class Unparseable:
    """A catalog entry Nextech sent that could not be read; staff see it on the page."""

    resource: str
    nextech_id: str | None
    problem: str


@dataclass(frozen=True)
class UpsertCounts:
    created: int = 0
    updated: int = 0
    deactivated: int = 0


@dataclass(frozen=True)
class CatalogPullResult:
    types: UpsertCounts
    purposes: UpsertCounts
    mappings_suggested: int  # new suggested rows
    mappings_resuggested: int  # suggested rows whose names now point elsewhere
    unmapped_types: tuple[str, ...]  # active types with no type-level row: need a human
    unparseable: tuple[Unparseable, ...] = ()
    purposes_without_type: tuple[str, ...] = ()  # purpose ids Nextech gave no known type


@dataclass(frozen=True)
class LocationsPullResult:
    counts: UpsertCounts
    unparseable: tuple[Unparseable, ...] = field(default_factory=tuple)


def _unparseable(result: SearchResult[Any]) -> tuple[Unparseable, ...]:
    return tuple(Unparseable(resource=e.resource_type, nextech_id=e.resource_id,
                             problem=e.problem) for e in result.errors)


def _catalog_upsert(model: type[AppointmentType] | type[AppointmentPurpose],
                    items: Iterable[nx.AppointmentType | nx.AppointmentPurpose],
                    *, unreadable_ids: set[str], now: datetime) -> UpsertCounts:
    created = updated = 0
    seen: set[str] = set()
    for item in items:
        seen.add(item.id)
        _, was_created = model.objects.update_or_create(
            nextech_id=item.id, defaults={"name": item.name, "active": True, "pulled_at": now})
        created += was_created
        updated += not was_created
    # An entry that failed to parse is still in Nextech: do not retire it for that.
    gone = (model.objects.filter(active=True).exclude(nextech_id__in=seen | unreadable_ids))
    deactivated = gone.update(active=False)
    return UpsertCounts(created=created, updated=updated, deactivated=deactivated)


def _mapping_suggest(*, appointment_type: AppointmentType, purpose: AppointmentPurpose | None,
                     category: Category | None) -> tuple[int, int]:
    """Create or refresh one suggested row; (created, changed). Confirmed rows are kept."""
    existing = CategoryMapping.objects.filter(
        appointment_type=appointment_type, purpose=purpose).first()
    if existing is None:
        if category is None:
            return 0, 0
        CategoryMapping.objects.create(appointment_type=appointment_type, purpose=purpose,
                                       category=category.value,
                                       source=CategoryMapping.Source.SUGGESTED)
        return 1, 0
    if existing.source != CategoryMapping.Source.SUGGESTED:
        return 0, 0  # a person decided this one
    if category is None:
        existing.delete()
        return 0, 1
    if existing.category != category.value:
        existing.category = category.value
        existing.save(update_fields=["category", "updated_at"])
        return 0, 1
    return 0, 0


def _mappings_suggest(*, purposes: Iterable[nx.AppointmentPurpose],
                      surgical_practice: bool) -> tuple[int, int, tuple[str, ...]]:
    created = changed = 0
    types = {t.nextech_id: t for t in AppointmentType.objects.filter(active=True)}
    for appointment_type in types.values():
        made, moved = _mapping_suggest(
            appointment_type=appointment_type, purpose=None,
            category=category_suggest(type_name=appointment_type.name,
                                      surgical_practice=surgical_practice))
        created, changed = created + made, changed + moved
    orphans: list[str] = []
    stored = {p.nextech_id: p for p in AppointmentPurpose.objects.all()}
    for item in purposes:
        type_id = item.appointment_type.id if item.appointment_type else None
        parent = types.get(type_id or "")
        if parent is None:
            orphans.append(item.id)
            continue
        by_type = category_suggest(type_name=parent.name, surgical_practice=surgical_practice)
        by_purpose = category_suggest(type_name=parent.name, purpose_name=item.name,
                                      surgical_practice=surgical_practice)
        # Only where the purpose changes the answer: a purpose row copying its type's
        # category would silently keep the old value when staff later change the type.
        made, moved = _mapping_suggest(
            appointment_type=parent, purpose=stored[item.id],
            category=by_purpose if by_purpose != by_type else None)
        created, changed = created + made, changed + moved
    return created, changed, tuple(orphans)


def _purpose_types_link(purposes: Iterable[nx.AppointmentPurpose]) -> None:
    """Record each purpose's type, so the spreadsheet can list every type/purpose pair."""
    types = dict(AppointmentType.objects.values_list("nextech_id", "pk"))
    for item in purposes:
        type_id = item.appointment_type.id if item.appointment_type else None
        AppointmentPurpose.objects.filter(nextech_id=item.id).update(
            appointment_type_id=types.get(type_id or ""))


def catalog_pull(*, client: NextechCatalogApi, surgical_practice: bool = True,
                 ) -> CatalogPullResult:
    """Upsert appointment types and purposes from Nextech and suggest their categories.

    Rows a person confirmed or imported are never changed; suggestions are refreshed.
    Types and purposes Nextech no longer lists are marked inactive, not deleted, so their
    mappings survive a temporary removal.
    """
    types = client.appointment_types_list()
    purposes = client.appointment_purposes_list()
    now = timezone.now()
    with transaction.atomic():
        type_counts = _catalog_upsert(
            AppointmentType, types.items, now=now,
            unreadable_ids={e.resource_id for e in types.errors if e.resource_id})
        purpose_counts = _catalog_upsert(
            AppointmentPurpose, purposes.items, now=now,
            unreadable_ids={e.resource_id for e in purposes.errors if e.resource_id})
        _purpose_types_link(purposes.items)
        created, changed, orphans = _mappings_suggest(purposes=purposes.items,
                                                      surgical_practice=surgical_practice)
        typed = CategoryMapping.objects.filter(purpose__isnull=True)
        unmapped = tuple(AppointmentType.objects.filter(active=True)
                         .exclude(id__in=typed.values("appointment_type_id"))
                         .order_by("name").values_list("name", flat=True))
    result = CatalogPullResult(
        types=type_counts, purposes=purpose_counts, mappings_suggested=created,
        mappings_resuggested=changed, unmapped_types=unmapped,
        unparseable=_unparseable(types) + _unparseable(purposes), purposes_without_type=orphans)
    log.info("catalog pulled: %d types, %d purposes, %d suggestions, %d unmapped, %d unreadable",
             len(types.items), len(purposes.items), created, len(unmapped),
             len(result.unparseable))
    return result


def locations_pull(*, client: NextechCatalogApi) -> LocationsPullResult:
    """Upsert locations (name, active) from Nextech, keeping the routing and billing staff set.

    A location first seen inactive starts unbillable; after that `billable` is staff's.
    """
    listed = client.locations_list(include_unmanaged=True)
    created = updated = 0
    with transaction.atomic():
        seen: set[str] = set()
        for item in listed.items:
            seen.add(item.id)
            active = item.status in (None, "active")
            location = Location.objects.filter(nextech_id=item.id).first()
            if location is None:
                Location.objects.create(nextech_id=item.id, name=item.name or item.id,
                                        active=active, billable=active)
                created += 1
                continue
            location.name = item.name or location.name
            location.active = active
            location.save(update_fields=["name", "active"])
            updated += 1
        unreadable = {e.resource_id for e in listed.errors if e.resource_id}
        deactivated = (Location.objects.filter(active=True)
                       .exclude(nextech_id__in=seen | unreadable).update(active=False))
    log.info("locations pulled: %d created, %d updated, %d deactivated",
             created, updated, deactivated)
    return LocationsPullResult(
        counts=UpsertCounts(created=created, updated=updated, deactivated=deactivated),
        unparseable=_unparseable(listed))
