"""Incidents: notice what is wrong with a practice and tell the agency, once.

Every minute (a django-q2 schedule) each polled practice's public-schema health figures
are read and turned into the set of conditions that hold now. A condition that starts
opens an `Incident`; one that stops resolves it. The agency gets one email when an
incident opens and one when it is resolved, however many checks see it in between.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django_q.models import Schedule

from tenants.alert_conditions import AlertDecision, AlertInputs, alert_decide, alert_inputs_read
from tenants.models import AlertWatch, Incident, Practice

log = logging.getLogger(__name__)

SCHEDULE_NAME = "ops:alerts"
ALERT_TASK = "tenants.alerts.alerts_check"


def _incidents_apply(*, decisions: dict[int, AlertDecision], now: datetime) -> None:
    """Open incidents for conditions that started, resolve those that stopped."""
    open_now: dict[int, dict[str, Incident]] = {}
    for incident in Incident.objects.filter(practice_id__in=decisions, resolved_at__isnull=True):
        open_now.setdefault(incident.practice_id, {})[incident.kind] = incident
    for practice_id, decision in decisions.items():
        already = open_now.get(practice_id, {})
        for kind, detail in decision.conditions.items():
            if kind in already:
                continue
            try:
                with transaction.atomic():
                    Incident.objects.create(practice_id=practice_id, kind=kind,
                                            detail=detail[:500], opened_at=now)
            except IntegrityError:
                continue  # another check opened it a moment ago
            log.warning("incident opened: %s (practice %s)", kind, practice_id)
        for kind, incident in already.items():
            if kind not in decision.conditions:
                incident.resolved_at = now
                incident.save(update_fields=["resolved_at"])
                log.info("incident resolved: %s (practice %s)", kind, practice_id)


def _watches_save(*, inputs: list[AlertInputs], decisions: dict[int, AlertDecision]) -> None:
    """Remember the dead-letter counts, writing only the watches that changed."""
    changed = [
        AlertWatch(practice_id=i.practice_id, dead_letters_seen=d.dead_letters_seen,
                   dead_letters_grew_at=d.dead_letters_grew_at)
        for i in inputs
        if (d := decisions[i.practice_id]).dead_letters_seen != i.dead_letters_seen
        or d.dead_letters_grew_at != i.dead_letters_grew_at
    ]
    AlertWatch.objects.bulk_create(
        changed, update_conflicts=True, unique_fields=["practice"],
        update_fields=["dead_letters_seen", "dead_letters_grew_at"],
    )


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
    """The every-minute task: update every practice's incidents, then send the emails.

    A constant number of queries reads every practice (see tenants.alert_conditions);
    writes follow only what changed.
    """
    now = timezone.now()
    if practices is None:
        practices = Practice.objects.exclude(schema_name="public").order_by("schema_name")
    inputs = alert_inputs_read(practices)
    decisions = {i.practice_id: alert_decide(i, now=now) for i in inputs}
    _incidents_apply(decisions=decisions, now=now)
    _watches_save(inputs=inputs, decisions=decisions)
    return {"practices": len(inputs), "emails": incidents_notify(now=now)}


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
