"""Incidents: notice what is wrong with a practice and tell the agency, once.

Every minute (a django-q2 schedule) each polled practice's health is read and turned into
the set of conditions that hold now. A condition that starts opens an `Incident`; one that
stops resolves it. The agency gets one email when an incident opens and one when it is
resolved, however many checks see it in between.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django_q.models import Schedule

from axconnect.logging import log_context
from integrations.health import PracticeHealth, practice_health
from tenants.models import AlertWatch, Incident, Practice
from tenants.schedule import practice_is_polled

log = logging.getLogger(__name__)

SCHEDULE_NAME = "ops:alerts"
ALERT_TASK = "tenants.alerts.alerts_check"
# Dead letters count as "growing" until a day passes without a new one.
DEAD_LETTERS_QUIET = timedelta(hours=24)


def _dead_letters_growing(*, practice: Practice, health: PracticeHealth, now: datetime) -> bool:
    watch, _ = AlertWatch.objects.get_or_create(practice=practice)
    if health.dead_letters > watch.dead_letters_seen:
        watch.dead_letters_grew_at = now
    watch.dead_letters_seen = health.dead_letters
    watch.save()
    grew_at = watch.dead_letters_grew_at
    return bool(health.dead_letters and grew_at and now - grew_at < DEAD_LETTERS_QUIET)


def conditions_detect(*, practice: Practice, now: datetime) -> dict[str, str]:
    """kind -> detail for each incident condition that holds for the practice now."""
    health = practice_health(practice=practice, now=now)
    found: dict[str, str] = {}
    if practice.status == Practice.Status.NEEDS_ATTENTION:
        found[Incident.Kind.NEEDS_ATTENTION] = practice.status_reason or "Needs attention"
    lapses = health.nextech_refresh_expires_at
    if health.refresh_lapsing and lapses:
        found[Incident.Kind.REFRESH_LAPSING] = (
            f"The Nextech refresh token lapses at {lapses:%Y-%m-%d %H:%M} UTC; "
            "re-enter the Nextech credentials before then."
        )
    if health.stalled:
        since = health.last_success_at
        found[Incident.Kind.STALLED] = (
            f"No successful poll since {since:%Y-%m-%d %H:%M} UTC" if since
            else "No successful poll yet"
        ) + f" (interval {practice.poll_interval_minutes} min)."
    if _dead_letters_growing(practice=practice, health=health, now=now):
        found[Incident.Kind.DEAD_LETTERS] = (
            f"{health.dead_letters} dead letters wait for staff in the practice admin."
        )
    if health.rate_limited:
        found[Incident.Kind.RATE_LIMIT] = health.last_error
    return found


def practice_incidents_sync(*, practice: Practice, now: datetime) -> None:
    """Open incidents for conditions that started, resolve those that stopped."""
    found = conditions_detect(practice=practice, now=now) if practice_is_polled(practice) else {}
    open_now = {i.kind: i for i in Incident.objects.filter(practice=practice,
                                                            resolved_at__isnull=True)}
    for kind, detail in found.items():
        if kind in open_now:
            continue
        try:
            with transaction.atomic():
                Incident.objects.create(practice=practice, kind=kind, detail=detail[:500],
                                        opened_at=now)
        except IntegrityError:
            continue  # another check opened it a moment ago
        log.warning("incident opened: %s", kind)
    for kind, incident in open_now.items():
        if kind not in found:
            incident.resolved_at = now
            incident.save(update_fields=["resolved_at"])
            log.info("incident resolved: %s", kind)


def _dashboard_url() -> str:
    scheme = "http" if settings.DEBUG else "https"
    return f"{scheme}://{settings.BASE_DOMAIN}{settings.PORT_SUFFIX}/admin/tenants/practicehealth/"


def _email(incident: Incident, *, resolved: bool) -> tuple[str, str]:
    what = incident.get_kind_display()
    name = incident.practice.name
    if resolved:
        subject = f"[AX Connect] Resolved: {name}: {what}"
        body = (f"{what} at {name} has cleared ({incident.resolved_at:%Y-%m-%d %H:%M} UTC).\n\n"
                f"It started at {incident.opened_at:%Y-%m-%d %H:%M} UTC: {incident.detail}\n")
    else:
        subject = f"[AX Connect] {name}: {what}"
        body = (f"{what} at {name} since {incident.opened_at:%Y-%m-%d %H:%M} UTC.\n\n"
                f"{incident.detail}\n")
    return subject, body + f"\nEvery practice's health: {_dashboard_url()}\n"


def incidents_notify(*, now: datetime) -> int:
    """Send the emails not sent yet; returns how many went out. Rows are locked while
    sending, so two checks running at once never send the same email twice.

    An incident is marked notified only once its email went out: with no ALERT_EMAILS
    nothing is sent and nothing is marked, so the admin never claims a notification
    nobody received.
    """
    if not settings.ALERT_EMAILS:
        return 0
    sent = 0
    pending = Q(opened_notified_at__isnull=True) | Q(
        resolved_at__isnull=False, resolved_notified_at__isnull=True
    )
    with transaction.atomic():
        rows = list(Incident.objects.filter(pending).select_for_update(skip_locked=True,
                                                                        of=("self",))
                    .select_related("practice").order_by("opened_at", "id"))
        for incident in rows:
            for resolved in (False, True):
                already = incident.resolved_notified_at if resolved else incident.opened_notified_at
                if already is not None or (resolved and incident.resolved_at is None):
                    continue
                subject, body = _email(incident, resolved=resolved)
                try:
                    send_mail(subject, body, None, settings.ALERT_EMAILS)
                except Exception:
                    log.exception("alert email failed; the next check retries it")
                    continue
                sent += 1
                if resolved:
                    incident.resolved_notified_at = now
                else:
                    incident.opened_notified_at = now
                incident.save(update_fields=["opened_notified_at", "resolved_notified_at"])
    return sent


def alerts_check(*, practices: Iterable[Practice] | None = None) -> dict[str, int]:
    """The every-minute task: update every practice's incidents, then send the emails."""
    now = timezone.now()
    checked = 0
    if practices is None:
        practices = Practice.objects.exclude(schema_name="public").order_by("schema_name")
    for practice in practices:
        with log_context(practice=practice.schema_name):
            try:
                practice_incidents_sync(practice=practice, now=now)
            except Exception:
                log.exception("incident check failed")
                continue
        checked += 1
    return {"practices": checked, "emails": incidents_notify(now=now)}


def alerts_schedule_ensure() -> Schedule:
    """The every-minute check's schedule, created once however often this runs."""
    schedule = Schedule.objects.filter(name=SCHEDULE_NAME).order_by("id").first()
    if schedule is None:
        schedule = Schedule(name=SCHEDULE_NAME)
    schedule.func = ALERT_TASK
    schedule.schedule_type = Schedule.MINUTES
    schedule.minutes = 1
    schedule.repeats = -1
    schedule.save()
    return schedule
