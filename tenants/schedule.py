"""Each practice's poll schedule in django-q2 (public schema).

One Schedule row per practice, named `poll:<schema>`. A practice that should not be
polled keeps its row with `repeats=0`, which django-q2's scheduler skips, so pausing and
resuming never loses the row or races on its (not unique) name.

When to poll next is the poll plan's (tenants.poll_plan: opening hours, slow nights, the
daily Nextech call budget): after each tick, `practice_schedule_next_run_set` moves the
row's `next_run` to the plan's next poll. The row's `minutes` stays the opening-hours
interval, so a tick that dies before planning leaves the practice polled as before.

Why one schedule per practice rather than one dispatcher schedule over a next-poll-at
column: every guarantee the README gives rests on this row. django-q2's scheduler locks
the due rows (SELECT ... FOR UPDATE) while it queues them, so two clusters never fire the
same slot; `repeats=0` is how a paused practice stops; the task it queues is the one that
counts skipped-busy polls. A dispatcher would have to rebuild the first two (claiming due
practices with SKIP LOCKED, filtering statuses) and re-prove them across clusters. The
scheduler's query over thousands of rows each 30 s is the cost, which issue 17 weighs.
"""

from __future__ import annotations

import zlib
from datetime import datetime, timedelta

from django.utils import timezone
from django_q.models import Schedule

from tenants.models import Practice

POLL_TASK = "integrations.tasks.practice_poll_start"
# The scheduler hands the task the slot it fired (its `next_run`) under this keyword.
SLOT_KWARG = "slot"
POLLED_STATUSES = frozenset({Practice.Status.ACTIVE, Practice.Status.NEEDS_ATTENTION})


def schedule_name(practice: Practice) -> str:
    return f"poll:{practice.schema_name}"


def practice_is_polled(practice: Practice) -> bool:
    return practice.status in POLLED_STATUSES


def _stagger(practice: Practice) -> timedelta:
    """Spread practices over the interval so they do not all poll at the same second."""
    seconds = practice.poll_interval_minutes * 60
    return timedelta(seconds=zlib.crc32(practice.schema_name.encode()) % max(seconds, 1))


def practice_schedule_sync(*, practice: Practice) -> Schedule:
    """Create or update the practice's poll schedule to match its status and interval."""
    polled = practice_is_polled(practice)
    schedule = Schedule.objects.filter(name=schedule_name(practice)).order_by("id").first()
    if schedule is None:
        schedule = Schedule(name=schedule_name(practice), func=POLL_TASK)
        schedule.next_run = timezone.now() + _stagger(practice)
    was_polled = schedule.repeats != 0 and schedule.pk is not None
    schedule.func = POLL_TASK
    schedule.intended_date_kwarg = SLOT_KWARG
    schedule.args = repr((practice.schema_name,))
    schedule.schedule_type = Schedule.MINUTES
    schedule.minutes = practice.poll_interval_minutes
    schedule.repeats = -1 if polled else 0
    if polled and not was_polled:
        # Resuming: poll soon rather than at a slot computed while paused.
        schedule.next_run = timezone.now() + timedelta(seconds=5)
    schedule.save()
    return schedule


def practice_schedule_next_run_set(*, practice: Practice, at: datetime) -> None:
    """Poll next at `at`. A scheduler firing this row right now holds its lock until it
    has saved its own next_run; this update waits for it and so comes last."""
    Schedule.objects.filter(name=schedule_name(practice)).exclude(repeats=0).update(next_run=at)


def practice_schedule_next_run_advance(*, practice: Practice, at: datetime) -> None:
    """Poll at `at` if that is sooner than the slot already set (settings just changed)."""
    (Schedule.objects.filter(name=schedule_name(practice), next_run__gt=at).exclude(repeats=0)
     .update(next_run=at))


def practice_schedule_delete(*, practice: Practice) -> None:
    Schedule.objects.filter(name=schedule_name(practice)).delete()
