"""Writing practices: create, update, change status. Views, admin and commands call these."""

from __future__ import annotations

import logging
import re

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tenants.models import Domain, Membership, Practice
from tenants.poll_budget import practice_poll_plan
from tenants.schedule import (
    practice_is_polled,
    practice_schedule_next_run_advance,
    practice_schedule_sync,
)

log = logging.getLogger(__name__)


def schema_name_for(slug: str) -> str:
    """PostgreSQL schema name for a practice slug (hyphens are not valid unquoted)."""
    name = re.sub(r"[^a-z0-9_]", "_", slug.lower())
    return f"p_{name}"[:63]


def practice_host(slug: str) -> str:
    return f"{slug}.{settings.BASE_DOMAIN}"


def practice_create(*, practice: Practice) -> Practice:
    """Save a new practice: its schema (with tenant migrations), its domain and its schedule.

    Takes an unsaved instance so the admin form's validated fields pass through as they are.
    """
    if practice.pk is not None:
        raise ValueError("practice_create takes a new, unsaved practice")
    practice.schema_name = schema_name_for(practice.slug)
    practice.status_changed_at = timezone.now()
    if practice.practice_type == Practice.Kind.MEDSPA and not practice.payments_enabled:
        # The spec recommends payments for med spas and warns against them for surgery.
        practice.payments_enabled = True
    # Schema creation runs DDL in its own statements; keep the rows together after it.
    practice.save(verbosity=0)
    with transaction.atomic():
        Domain.objects.create(domain=practice_host(practice.slug), tenant=practice, is_primary=True)
        practice_schedule_sync(practice=practice)
    log.info("practice created: %s", practice.schema_name)
    return practice


def practice_update(*, practice: Practice) -> Practice:
    """Save edits and bring the schedule in line (interval, paused or not). New opening
    hours, intervals or budget apply at once when they bring the next poll forward; the
    next tick plans by them either way."""
    with transaction.atomic():
        practice.save()
        practice_schedule_sync(practice=practice)
        if practice_is_polled(practice):
            now = timezone.now()
            practice_schedule_next_run_advance(
                practice=practice, at=practice_poll_plan(practice=practice, now=now).next_poll_at)
    return practice


def practice_set_status(*, practice: Practice, status: str, reason: str = "") -> Practice:
    """Move a practice to a status, with the reason staff will read."""
    changed = practice.status != status or practice.status_reason != reason
    if not changed:
        return practice
    practice.status = status
    practice.status_reason = reason[:500]
    practice.status_changed_at = timezone.now()
    with transaction.atomic():
        practice.save(update_fields=["status", "status_reason", "status_changed_at"])
        practice_schedule_sync(practice=practice)
    log.info("practice %s status -> %s", practice.schema_name, status)
    return practice


def membership_grant(*, user: object, practice: Practice, role: str) -> Membership:
    membership, _ = Membership.objects.update_or_create(
        user=user, practice=practice, defaults={"role": role}
    )
    return membership


def public_tenant_ensure() -> Practice:
    """The public schema's own row and the agency host's domain (django-tenants needs both)."""
    public = Practice.objects.filter(schema_name="public").first()
    if public is None:
        public = Practice(
            schema_name="public", name="Agency", slug="agency", status=Practice.Status.PAUSED
        )
        public.save(verbosity=0)
    Domain.objects.get_or_create(
        domain=settings.BASE_DOMAIN, defaults={"tenant": public, "is_primary": True}
    )
    return public
