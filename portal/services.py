"""What portal users change: category mappings and dead-letter retries.

Views parse input, call one of these and render (STYLE: services write).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django_q.tasks import async_task

from integrations.categories import Category
from integrations.category_review import suggestions_confirm, waiting_appointments_release
from integrations.engine.replay import appointments_redecide, inbox_replay, outbox_retry
from integrations.models import (
    AppointmentPurpose,
    AppointmentType,
    CategoryMapping,
    CategoryUpload,
    SyncLog,
)
from integrations.nxt_create.service import nxt_create_retry
from tenants.models import Practice
from tenants.schedule import POLL_TASK, practice_is_polled

log = logging.getLogger(__name__)

REEVALUATE_DAYS_DEFAULT = 30
# "Sync now" pressed again within this long queues nothing more: one tick is on its way.
SYNC_NOW_COOLDOWN = timedelta(minutes=1)


@dataclass(frozen=True)
class CategorySet:
    mapping: CategoryMapping
    changed: bool  # a confirmed category that moved contacts is now another one
    released: int  # appointments that waited for this review, decided again next tick


def category_mapping_set(*, appointment_type_id: int, purpose_id: int | None, category: str,
                         user: Any) -> CategorySet:
    """Set (or keep) the category of a type, or of one purpose of it, as confirmed by `user`.

    A mapping that was only suggested (or missing) moved nothing: the appointments that
    waited on it are decided again at the next tick. One a person had confirmed before
    moved contacts already: they keep their stage until re-evaluated
    (`recent_contacts_reevaluate`). New events use the mapping at once.
    Raises ValueError for an unknown category, DoesNotExist for an unknown type/purpose.
    """
    chosen = Category(category)
    appointment_type = AppointmentType.objects.get(pk=appointment_type_id)
    purpose = (AppointmentPurpose.objects.get(pk=purpose_id, appointment_type=appointment_type)
               if purpose_id is not None else None)
    with transaction.atomic():
        before = CategoryMapping.objects.filter(
            appointment_type=appointment_type, purpose=purpose).values_list(
            "category", "source").first()
        mapping, _ = CategoryMapping.objects.update_or_create(
            appointment_type=appointment_type, purpose=purpose,
            defaults={"category": chosen.value, "source": CategoryMapping.Source.CONFIRMED,
                      "confirmed_by": user.get_username(), "confirmed_at": timezone.now()})
        target = f"{appointment_type.name} / {purpose.name}" if purpose else appointment_type.name
        SyncLog.objects.create(kind="category", message=(
            f"Category of {target} confirmed as {chosen.label} by {user.get_username()}")[:500])
        # A purpose without a row followed its type's category, which may have moved contacts.
        waited = (before is None and purpose is None) or (
            before is not None and before[1] == CategoryMapping.Source.SUGGESTED)
        released = waiting_appointments_release(
            type_ids=[appointment_type.nextech_id], by=user.get_username()) if waited else 0
    changed = not waited and (before[0] if before else None) != chosen.value
    return CategorySet(mapping=mapping, changed=changed, released=released)


def category_suggestions_confirm(*, mapping_ids: list[int], user: Any) -> int:
    """Confirm the suggestions shown to `user` as they stand ("Confirm all shown")."""
    return suggestions_confirm(mapping_ids=mapping_ids, by=user.get_username())


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


# How long an uploaded sheet waits for its confirmation.
UPLOAD_KEPT = timedelta(hours=1)


def category_upload_keep(*, user: Any, file_name: str, file_format: str, data: bytes) -> str:
    """Keep a previewed sheet until it is confirmed; returns the token the session holds.
    The user's earlier uploads, and anyone's that expired, are dropped."""
    with transaction.atomic():
        CategoryUpload.objects.filter(user_id=user.pk).delete()
        CategoryUpload.objects.filter(created_at__lt=timezone.now() - UPLOAD_KEPT).delete()
        upload = CategoryUpload.objects.create(user_id=user.pk, file_name=file_name[:200],
                                               file_format=file_format, data=data)
    return str(upload.token)


def category_upload_take(*, user: Any, token: str) -> CategoryUpload | None:
    """The sheet `user` previewed under `token`, removed from keeping; None if it is not
    theirs, unknown or expired."""
    try:
        uuid.UUID(token)
    except ValueError:
        return None
    with transaction.atomic():
        upload = CategoryUpload.objects.filter(
            token=token, user_id=user.pk,
            created_at__gte=timezone.now() - UPLOAD_KEPT).first()
        CategoryUpload.objects.filter(token=token, user_id=user.pk).delete()
    return upload


def recent_contacts_reevaluate(*, appointment_type_id: int, user: Any,
                               days: int = REEVALUATE_DAYS_DEFAULT,
                               now: datetime | None = None) -> int:
    """Have the next poll decide again the appointments of a type changed in the last `days`
    (`appointments_redecide`); returns how many appointments were queued."""
    since = (now or timezone.now()) - timedelta(days=days)
    type_id = AppointmentType.objects.get(pk=appointment_type_id).nextech_id
    with transaction.atomic():
        count = appointments_redecide(type_ids=[type_id], changed_since=since)
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
