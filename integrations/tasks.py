"""django-q2 task entry points. Each takes the schema name: a task never inherits a tenant."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import F
from django.utils.module_loading import import_string
from django_tenants.utils import schema_context

from axconnect.logging import log_context
from axconnect.metrics import counter_add
from integrations.locking import practice_tick_lock
from integrations.models import SyncLog, SyncState
from tenants.models import Practice
from tenants.schedule import practice_is_polled

log = logging.getLogger(__name__)


def practice_poll(schema_name: str) -> dict[str, Any]:
    """Run one tick for a practice, inside its schema, unless one is already running."""
    with log_context(practice=schema_name):  # on every line this task logs
        return _practice_poll(schema_name)


def _practice_poll(schema_name: str) -> dict[str, Any]:
    # A worker reuses its connection; start from public whatever the last task left.
    connection.set_schema_to_public()  # type: ignore[attr-defined]
    practice = Practice.objects.filter(schema_name=schema_name).first()
    if practice is None or practice.is_public:
        return {"practice": schema_name, "skipped": "no such practice"}
    if not practice_is_polled(practice):
        return {"practice": schema_name, "skipped": f"status is {practice.status}"}
    with schema_context(schema_name), practice_tick_lock(schema_name) as acquired:
        if not acquired:
            SyncState.current()
            SyncState.objects.filter(pk=1).update(
                ticks_skipped_locked=F("ticks_skipped_locked") + 1
            )
            SyncLog.objects.create(kind="tick_skipped", message="Another poll was still running.")
            log.info("tick skipped, lock held: %s", schema_name)
            counter_add(name="axc_ticks", practice=schema_name, amount=1, label="skipped_locked")
            return {"practice": schema_name, "skipped": "locked"}
        tick = import_string(settings.AXC_TICK_FUNCTION)
        result: dict[str, Any] = tick(practice=practice)
        return {"practice": schema_name, **result}
