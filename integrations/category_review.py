"""A person's review of the appointment categories.

Set-up's name-based suggestions move nothing (the spec: "you must confirm all mappings are
correct before we finalize"); an appointment whose category is only suggested waits for
review. Confirming a mapping, in the portal, the practice admin or the spreadsheet, is what
lets those appointments move: their patients are decided again at the next tick.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from integrations.engine.replay import appointments_redecide
from integrations.models import CategoryMapping, SyncLog


def waiting_appointments_release(*, type_ids: Iterable[str], by: str) -> int:
    """Decide again, at the next tick, every appointment of these Nextech types: their
    mapping just became confirmed, so what waited for review can move. Returns the count."""
    type_ids = sorted(set(type_ids))
    if not type_ids:
        return 0
    count = appointments_redecide(type_ids=type_ids)
    if count:
        SyncLog.objects.create(kind="replay", message=(
            f"{count} appointment(s) that waited for a category review queued to be decided "
            f"again (confirmed by {by})")[:500])
    return count


def suggestions_confirm(*, mapping_ids: Iterable[int], by: str) -> int:
    """Confirm these suggested mappings as they stand; returns how many were confirmed.

    Mappings a person already decided are left as they are (their confirmer stays).
    """
    with transaction.atomic():
        chosen = (CategoryMapping.objects.select_for_update()
                  .filter(pk__in=list(mapping_ids), source=CategoryMapping.Source.SUGGESTED))
        type_ids = list(chosen.values_list("appointment_type__nextech_id", flat=True))
        count = chosen.update(source=CategoryMapping.Source.CONFIRMED, confirmed_by=by,
                              confirmed_at=timezone.now())
        if count:
            SyncLog.objects.create(kind="category", message=(
                f"{count} suggested categor{'y' if count == 1 else 'ies'} confirmed as "
                f"suggested by {by}")[:500])
        waiting_appointments_release(type_ids=type_ids, by=by)
    return count


def suggestions_confirm_all(*, by: str) -> int:
    """Confirm every suggestion of this schema as it stands: for the demo and benchmark
    practices, which stand for a practice that has reviewed its categories."""
    suggested = CategoryMapping.objects.filter(source=CategoryMapping.Source.SUGGESTED)
    return suggestions_confirm(mapping_ids=suggested.values_list("pk", flat=True), by=by)
