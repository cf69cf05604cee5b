"""Incidents: the agency hears once when something goes wrong, once when it clears."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_q.models import Schedule
from django_tenants.utils import schema_context

from integrations.health import practice_gauges_record
from integrations.models import InboxItem, SyncState
from tenants.alerts import SCHEDULE_NAME, alerts_check, alerts_schedule_ensure
from tenants.models import Incident, NextechCredential, Practice
from tenants.services import practice_set_status

# Each check is limited to the practice under test: other tests may leave committed
# practices behind in the test database. The check reads what ticks publish
# (practice_gauges_record), so each change to a practice's schema is followed by that.


@pytest.fixture
def alert_emails(settings):
    settings.ALERT_EMAILS = ["ops@agency.example"]


def _state(practice: Practice, **fields) -> None:
    with schema_context(practice.schema_name):
        SyncState.current()
        SyncState.objects.filter(pk=1).update(**fields)
    practice_gauges_record(practice=practice)


def test_needs_attention_mails_once_and_resolved_once(practice_a, alert_emails, mailoutbox):
    _state(practice_a, last_success_at=timezone.now())
    alerts_check(practices=[practice_a])
    assert mailoutbox == []  # a healthy practice: nothing to say

    practice_set_status(practice=practice_a, status=Practice.Status.NEEDS_ATTENTION,
                        reason="Nextech credentials failed: invalid_grant")
    alerts_check(practices=[practice_a])
    assert len(mailoutbox) == 1
    (opened,) = mailoutbox
    assert opened.to == ["ops@agency.example"]
    assert opened.subject == (
        "[AX Connect] Alpha Plastic Surgery: Needs attention (credentials or set-up)")
    assert "Nextech credentials failed: invalid_grant" in opened.body

    alerts_check(practices=[practice_a])
    assert len(mailoutbox) == 1  # still the same incident: no second email

    practice_set_status(practice=practice_a, status=Practice.Status.ACTIVE)
    alerts_check(practices=[practice_a])
    assert len(mailoutbox) == 2
    assert mailoutbox[1].subject.startswith("[AX Connect] Resolved: Alpha Plastic Surgery:")
    alerts_check(practices=[practice_a])
    assert len(mailoutbox) == 2
    (incident,) = Incident.objects.filter(practice=practice_a)
    assert incident.resolved_at is not None


def test_each_condition_opens_its_own_incident(practice_a, alert_emails, mailoutbox):
    now = timezone.now()
    # Three intervals (5 min) without a success, and GoHighLevel's daily quota spent.
    _state(practice_a, last_success_at=now - timedelta(minutes=16),
           last_error="GoHighLevel writes paused: ghl daily request limit reached")
    NextechCredential.objects.create(practice=practice_a,
                                     refresh_expires_at=now + timedelta(days=3))
    with schema_context(practice_a.schema_name):
        InboxItem.objects.create(resource="Appointment", external_id="9", version="v1",
                                 payload={}, state=InboxItem.State.DEAD, error="no start")
    practice_gauges_record(practice=practice_a)
    alerts_check(practices=[practice_a])

    kinds = set(Incident.objects.filter(practice=practice_a).values_list("kind", flat=True))
    assert kinds == {Incident.Kind.STALLED, Incident.Kind.RATE_LIMIT,
                     Incident.Kind.REFRESH_LAPSING, Incident.Kind.DEAD_LETTERS}
    assert len(mailoutbox) == 4
    alerts_check(practices=[practice_a])
    assert len(mailoutbox) == 4

    # Polling resumes and the quota is back: those two resolve, the others stay open.
    _state(practice_a, last_success_at=timezone.now(), last_error="")
    alerts_check(practices=[practice_a])
    resolved = [m.subject for m in mailoutbox[4:]]
    assert sorted(resolved) == [
        "[AX Connect] Resolved: Alpha Plastic Surgery: GoHighLevel daily rate limit exhausted",
        "[AX Connect] Resolved: Alpha Plastic Surgery: Poller stalled",
    ]


def test_a_paused_practice_raises_nothing(practice_a, alert_emails, mailoutbox):
    practice_set_status(practice=practice_a, status=Practice.Status.PAUSED)
    _state(practice_a, last_success_at=timezone.now() - timedelta(days=2))
    alerts_check(practices=[practice_a])
    assert mailoutbox == []


def test_the_check_is_scheduled_every_minute_once(db):
    alerts_schedule_ensure()
    alerts_schedule_ensure()
    (schedule,) = Schedule.objects.filter(name=SCHEDULE_NAME)
    assert (schedule.func, schedule.schedule_type, schedule.minutes, schedule.repeats) == (
        "tenants.alerts.alerts_check", Schedule.MINUTES, 1, -1)


def test_the_check_reads_every_practice_in_the_same_few_queries(practice_a, practice_b):
    """One practice or two (or ten thousand): the reads do not grow with the agency."""
    for practice in (practice_a, practice_b):
        _state(practice, last_success_at=timezone.now())
    alerts_check(practices=[practice_a, practice_b])  # the watches exist from here on

    def statements(practices) -> int:
        with CaptureQueriesContext(connection) as queries:
            alerts_check(practices=practices)
        return len(queries)

    # Five reads, the notifier's locking read and its savepoint statements.
    assert statements([practice_a]) == statements([practice_a, practice_b]) <= 9
