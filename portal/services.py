"""What portal users change: category mappings, dead-letter retries, and the access audit.

Views parse input, call one of these and render (STYLE: services write).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django_q.tasks import async_task

from integrations.categories import Category
from integrations.engine.replay import inbox_replay, outbox_retry
from integrations.models import (
    AppointmentPurpose,
    AppointmentType,
    CategoryMapping,
    InboxItem,
    KnownAppointment,
    PatientAccessLog,
    SyncLog,
)
from integrations.nxt_create.service import nxt_create_retry
from tenants.models import Practice
from tenants.schedule import POLL_TASK, practice_is_polled

log = logging.getLogger(__name__)

REEVALUATE_DAYS_DEFAULT = 30
# "Sync now" pressed again within this long queues nothing more: one tick is on its way.
SYNC_NOW_COOLDOWN = timedelta(minutes=1)


def category_mapping_set(*, appointment_type_id: int, purpose_id: int | None, category: str,
                         user: Any) -> tuple[CategoryMapping, bool]:
    """Set (or keep) the category of a type, or of one purpose of it, as confirmed by `user`;
    returns the mapping and whether its category changed.

    New events use it at once (the engine loads the mappings every tick); contacts already
    decided keep their stage until re-evaluated (`recent_contacts_reevaluate`).
    Raises ValueError for an unknown category, DoesNotExist for an unknown type/purpose.
    """
    chosen = Category(category)
    appointment_type = AppointmentType.objects.get(pk=appointment_type_id)
    purpose = (AppointmentPurpose.objects.get(pk=purpose_id, appointment_type=appointment_type)
               if purpose_id is not None else None)
    with transaction.atomic():
        before = CategoryMapping.objects.filter(
            appointment_type=appointment_type, purpose=purpose).values_list(
            "category", flat=True).first()
        mapping, _ = CategoryMapping.objects.update_or_create(
            appointment_type=appointment_type, purpose=purpose,
            defaults={"category": chosen.value, "source": CategoryMapping.Source.CONFIRMED,
                      "confirmed_by": user.get_username(), "confirmed_at": timezone.now()})
        target = f"{appointment_type.name} / {purpose.name}" if purpose else appointment_type.name
        SyncLog.objects.create(kind="category", message=(
            f"Category of {target} confirmed as {chosen.label} by {user.get_username()}")[:500])
    return mapping, before != chosen.value


def category_mapping_follow_type(*, appointment_type_id: int, purpose_id: int,
                                 user: Any) -> bool:
    """Drop a purpose's own category so it follows its type's again; True if it had one."""
    with transaction.atomic():
        deleted, _ = CategoryMapping.objects.filter(
            appointment_type_id=appointment_type_id, purpose_id=purpose_id).delete()
        if deleted:
            SyncLog.objects.create(kind="category", message=(
                f"A purpose now follows its type's category ({user.get_username()})"))
    return bool(deleted)


def recent_contacts_reevaluate(*, appointment_type_id: int, user: Any,
                               days: int = REEVALUATE_DAYS_DEFAULT,
                               now: datetime | None = None) -> int:
    """Have the next poll decide again the appointments of a type changed in the last `days`.

    Re-queues the latest stored version of each such appointment; deciding a patient reads
    all their appointments with today's categories, and notes and writes carry
    idempotency keys, so a contact is moved if its stage changed and gets no second note.
    Returns how many appointments were queued.
    """
    since = (now or timezone.now()) - timedelta(days=days)
    type_id = AppointmentType.objects.get(pk=appointment_type_id).nextech_id
    appointment_ids = KnownAppointment.objects.filter(
        type_id=type_id, last_updated__gte=since).values_list("nextech_id", flat=True)
    done = InboxItem.objects.filter(resource="Appointment", state=InboxItem.State.DONE,
                                    external_id__in=list(appointment_ids))
    latest = done.values("external_id").annotate(last=Max("id")).values_list("last", flat=True)
    with transaction.atomic():
        count = InboxItem.objects.filter(pk__in=list(latest)).update(state=InboxItem.State.NEW)
        if count:
            SyncLog.objects.create(kind="replay", message=(
                f"{count} appointment(s) queued to be decided again after a category change "
                f"by {user.get_username()}")[:500])
    return count


def dead_letter_retry(*, source: str, pk: int) -> int:
    """Queue one dead letter again: an inbox row is decided again, a CRM write resent."""
    if source == "inbox":
        return inbox_replay(item_ids=[pk])
    if source == "outbox":
        return outbox_retry(op_ids=[pk])
    if source == "nxt_create":
        return nxt_create_retry(request_ids=[pk])
    raise ValueError(f"unknown dead-letter source {source!r}")


def patient_access_record(*, user: Any, patient_ref: str, view: str) -> PatientAccessLog:
    """Write the audit row for one view of a patient's activity (who, when, which patient)."""
    entry = PatientAccessLog.objects.create(user_id=user.pk, username=user.get_username(),
                                            patient_ref=patient_ref, view=view)
    # Ids only: no names in the application log.
    log.info("patient activity viewed: user %s, patient %s", user.pk, patient_ref)
    return entry


def practice_sync_request(*, practice: Practice, user: Any, now: datetime) -> str:
    """Staff's "Sync now": queue one tick of the practice at once, beside its schedule.

    Returns "queued", "recent" (someone asked less than SYNC_NOW_COOLDOWN ago: that tick
    is on its way) or "not_polled" (paused or onboarding: a tick would do nothing). The
    tick lock keeps it from running beside a scheduled one.
    """
    if not practice_is_polled(practice):
        return "not_polled"
    with transaction.atomic():
        if SyncLog.objects.filter(kind="sync_requested",
                                  created_at__gte=now - SYNC_NOW_COOLDOWN).exists():
            return "recent"
        SyncLog.objects.create(kind="sync_requested",
                               message=f"Sync requested by {user.get_username()}"[:500])
        schema = practice.schema_name
        transaction.on_commit(lambda: async_task(POLL_TASK, schema))
    return "queued"
